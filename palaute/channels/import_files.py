"""Reading an uploaded table of historical responses: CSV or XLSX, header row first.

A ``Table`` yields its data rows in chunks, each row numbered as a spreadsheet shows it (the
header is row 1 when it is the first line), so a problem can be reported as "row 1843".

CSV: UTF-8 with or without a byte-order mark; files that are not UTF-8 are read as
Windows-1252 (what older Finnish Excel versions save). The delimiter is the one of ``,`` ``;``
and tab that occurs most often in the header line (Finnish Excel saves ``;``).
XLSX: read with openpyxl in read-only mode, cached formula values, the first sheet unless one
is named. Cells keep their types (numbers, datetimes); the value converters accept both.
"""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

CHUNK_ROWS = 50_000
# The first chunk is smaller, so that the database starts storing sooner while the rest of
# the file is read and checked in the other thread (import_pipeline).
FIRST_CHUNK_ROWS = 5_000
SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
MAX_COLUMNS = 500
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


class TableError(Exception):
    """The file cannot be read as a table; the message says why."""


@dataclass
class Rows:
    """One chunk of data rows: ``cells[i]`` is the row the user sees as ``numbers[i]``."""

    numbers: list[int]
    cells: list[Sequence[Any]]


@dataclass
class Table:
    kind: str  # "csv" or "xlsx"
    headers: list[str]
    header_row: int
    sheets: list[str] = field(default_factory=list)
    sheet: str = ""
    encoding: str = ""
    delimiter: str = ""
    _rows: Iterator[Sequence[Any]] = field(default=iter(()), repr=False)
    _close: Any = field(default=None, repr=False)
    _next_number: int = 0

    def chunks(self, size: int = CHUNK_ROWS, first_size: int | None = None) -> Iterator[Rows]:
        """The data rows after the header, ``size`` at a time (``first_size`` in the first
        chunk); blank rows are left out."""
        take = first_size or size
        while True:
            try:
                batch = list(itertools.islice(self._rows, take))
                take = size
            except UnicodeDecodeError:
                raise TableError(
                    _("Row %(row)d is not valid %(encoding)s text.")
                    % {"row": self._next_number + 1, "encoding": self.encoding}
                ) from None
            except csv.Error as exc:
                raise TableError(
                    _("Row %(row)d cannot be read: %(error)s.")
                    % {"row": self._next_number + 1, "error": exc}
                ) from None
            if not batch:
                return
            first = self._next_number
            self._next_number += len(batch)
            if all(map(any, batch)):  # no row is blank: one pass in C
                blank = []
            else:
                blank = [i for i, row in enumerate(batch) if _is_blank(row)]
            if not blank:
                yield Rows(numbers=list(range(first, first + len(batch))), cells=batch)
                continue
            skip = set(blank)
            kept = [i for i in range(len(batch)) if i not in skip]
            if kept:
                yield Rows(numbers=[first + i for i in kept], cells=[batch[i] for i in kept])

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def open_table(path: str | Path, sheet: str = "") -> Table:
    """Open a CSV or XLSX file and read its header row. Raises TableError."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise TableError(
            _("The file cannot be read: %(error)s.") % {"error": exc.strerror}
        ) from None
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(path, sheet)
    if head.startswith(OLE_MAGIC):
        raise TableError(_("This is an old Excel .xls file. Save it as .xlsx or CSV."))
    return _open_csv(path, head)


def sample_values(path: str | Path, sheet: str = "", rows: int = 200, per_column: int = 3):
    """(table, samples): up to ``per_column`` non-empty values of each column from the first
    ``rows`` rows, for the mapping screen."""
    with open_table(path, sheet) as table:
        samples: list[list[str]] = [[] for _ in table.headers]
        for chunk in table.chunks(rows):
            for cells in chunk.cells:
                for index, value in enumerate(cells[: len(samples)]):
                    text = display(value)
                    if text and len(samples[index]) < per_column and text not in samples[index]:
                        samples[index].append(text)
            break
    return table, samples


def display(value: Any) -> str:
    """A cell as the user would recognise it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def column_name(index: int) -> str:
    """A name for a column without a header: "Column 3"."""
    return _("Column %(number)d") % {"number": index + 1}


def _is_blank(row: Sequence[Any]) -> bool:
    if any(row):
        return False
    # any() treats 0 and 0.0 as blank; a spreadsheet cell holding 0 is a value.
    return all(value is None or value == "" for value in row)


def _headers(cells: Sequence[Any]) -> list[str]:
    names = [display(cell) for cell in cells]
    while names and not names[-1]:
        names.pop()
    if len(names) > MAX_COLUMNS:
        raise TableError(
            _("The file has %(count)d columns; at most %(max)d are supported.")
            % {"count": len(names), "max": MAX_COLUMNS}
        )
    return [name or column_name(i) for i, name in enumerate(names)]


# ----------------------------------------------------------------------------------- CSV


def _open_csv(path: Path, head: bytes) -> Table:
    encoding = "utf-8-sig" if _is_utf8(head) else "cp1252"
    handle = path.open(encoding=encoding, newline="")
    try:
        first_line = ""
        for line in handle:
            if line.strip():
                first_line = line
                break
        if not first_line:
            raise TableError(_("The file is empty."))
        delimiter = max(DELIMITERS, key=first_line.count)
        if first_line.count(delimiter) == 0:
            delimiter = ","
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        header_row = 0
        header: list[str] = []
        for cells in reader:
            header_row += 1
            if not _is_blank(cells):
                header = _headers(cells)
                break
    except UnicodeDecodeError:
        handle.close()
        raise TableError(
            _("The file is not valid %(encoding)s text.") % {"encoding": encoding}
        ) from None
    except csv.Error as exc:
        handle.close()
        raise TableError(_("The header row cannot be read: %(error)s.") % {"error": exc}) from None
    except TableError:
        handle.close()
        raise
    if not header:
        handle.close()
        raise TableError(_("The file has no header row."))
    return Table(
        kind="csv",
        headers=header,
        header_row=header_row,
        encoding="UTF-8" if encoding == "utf-8-sig" else "Windows-1252",
        delimiter=delimiter,
        _rows=reader,
        _close=handle.close,
        _next_number=header_row + 1,
    )


def _is_utf8(head: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the end of the sample is fine
    except UnicodeDecodeError:
        return False
    return True


# ---------------------------------------------------------------------------------- XLSX


def _open_xlsx(path: Path, sheet: str) -> Table:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    # A file object, not the path: staged uploads have no extension for openpyxl to trust.
    handle = path.open("rb")
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        handle.close()
        raise TableError(
            _("The file is not a readable Excel .xlsx workbook (%(error)s).") % {"error": exc}
        ) from None

    def close() -> None:
        workbook.close()
        handle.close()

    names = list(workbook.sheetnames)
    if sheet and sheet not in names:
        close()
        raise TableError(
            _("The workbook has no sheet %(sheet)s; its sheets are %(sheets)s.")
            % {"sheet": repr(sheet), "sheets": ", ".join(names)}
        )
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    rows = worksheet.iter_rows(min_row=1, min_col=1, values_only=True)
    header_row = 0
    header: list[str] = []
    for cells in rows:
        header_row += 1
        if not _is_blank(cells):
            header = _headers(cells)
            break
    if not header:
        close()
        raise TableError(_("The sheet %(sheet)s has no header row.") % {"sheet": worksheet.title})
    return Table(
        kind="xlsx",
        headers=header,
        header_row=header_row,
        sheets=names,
        sheet=worksheet.title,
        _rows=rows,
        _close=close,
        _next_number=header_row + 1,
    )
