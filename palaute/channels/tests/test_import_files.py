"""Reading CSV and XLSX files: encodings, delimiters, row numbers, sheets and bad files."""

from datetime import datetime

import pytest
from django.utils import translation

from palaute.channels.import_files import TableError, open_table, sample_values
from palaute.channels.tests.import_helpers import write_csv, write_xlsx


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rows_of(table):
    return [
        (n, list(cells))
        for chunk in table.chunks(2)
        for n, cells in zip(chunk.numbers, chunk.cells, strict=True)
    ]


def test_semicolon_csv_with_bom_from_finnish_excel(tmp_path):
    path = tmp_path / "vastaukset.csv"
    path.write_bytes("\ufeffPäivämäärä;NPS;Kommentti\r\n5.3.2024;9;Hyvä, kiitos\r\n".encode())
    with open_table(path) as table:
        assert table.kind == "csv"
        assert table.delimiter == ";"
        assert table.encoding == "UTF-8"
        assert table.headers == ["Päivämäärä", "NPS", "Kommentti"]
        assert rows_of(table) == [(2, ["5.3.2024", "9", "Hyvä, kiitos"])]


def test_windows_1252_csv_is_read(tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes("pvm;kommentti\n1.2.2023;Ystävällinen\n".encode("cp1252"))
    with open_table(path) as table:
        assert table.encoding == "Windows-1252"
        assert rows_of(table) == [(2, ["1.2.2023", "Ystävällinen"])]


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_rows_skipped(tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        [["date", "nps"], ["2024-01-01", "1"], [], ["", ""], ["2024-01-02", "2"], ["2024-01-03"]],
    )
    with open_table(path) as table:
        assert rows_of(table) == [
            (2, ["2024-01-01", "1"]),
            (5, ["2024-01-02", "2"]),
            (6, ["2024-01-03"]),
        ]


def test_header_after_blank_lines_and_unnamed_columns(tmp_path):
    path = write_csv(tmp_path / "a.csv", [[], ["date", "", "nps", ""], ["2024-01-01", "x", "5"]])
    with open_table(path) as table:
        assert table.header_row == 2
        assert table.headers == ["date", "Column 2", "nps"]
        assert rows_of(table) == [(3, ["2024-01-01", "x", "5"])]


def test_xlsx_keeps_cell_types_and_reads_the_chosen_sheet(tmp_path):
    moment = datetime(2024, 3, 5, 14, 30)
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [["Aika", "NPS"], [moment, 9], [None, None], [moment, 10.0]],
        extra={"Toinen": [["date"], ["2024-01-01"]]},
    )
    with open_table(path) as table:
        assert table.kind == "xlsx"
        assert table.sheets == ["Vastaukset", "Toinen"]
        assert table.sheet == "Vastaukset"
        assert rows_of(table) == [(2, [moment, 9]), (4, [moment, 10])]
    with open_table(path, sheet="Toinen") as table:
        assert table.headers == ["date"]
    with pytest.raises(TableError, match="no sheet 'Puuttuu'"):
        open_table(path, sheet="Puuttuu")


def test_samples_for_the_mapping_screen(tmp_path):
    path = write_csv(
        tmp_path / "a.csv",
        [["date", "nps", "note"], ["2024-01-01", "9", ""], ["2024-01-02", "9", ""], ["x", "7", ""]],
    )
    table, samples = sample_values(path)
    assert table.headers == ["date", "nps", "note"]
    assert samples == [["2024-01-01", "2024-01-02", "x"], ["9", "7"], []]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"\xd0\xcf\x11\xe0rest of an old excel file", ".xls"),
        (b"PK\x03\x04not really a zip", "not a readable Excel"),
    ],
)
def test_unreadable_files_say_why(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(TableError, match=message):
        open_table(path)


def test_a_bad_byte_late_in_a_utf8_file_names_the_row(tmp_path):
    path = tmp_path / "late.csv"
    body = "date,text\n" + "2024-01-01,ok\n" * 10_000
    path.write_bytes(body.encode() + b"2024-01-02,\xff\xfe broken\n")
    with open_table(path) as table, pytest.raises(TableError, match="not valid UTF-8"):
        for _chunk in table.chunks(1000):
            pass


def test_a_smaller_first_chunk_then_full_ones_with_blank_rows_left_out(tmp_path):
    rows = [["a", "b"], ["1", "x"], ["", ""], *[[str(i), "y"] for i in range(2, 7)]]
    with open_table(write_csv(tmp_path / "a.csv", rows)) as table:
        chunks = list(table.chunks(3, first_size=2))
    assert [chunk.numbers for chunk in chunks] == [[2], [4, 5, 6], [7, 8]]
    assert chunks[0].cells == [["1", "x"]]
