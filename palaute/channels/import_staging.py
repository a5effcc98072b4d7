"""Uploaded import files, kept on disk between the steps of the import screens.

An upload is streamed straight into its own directory under ``IMPORT_STAGING_DIR`` (default
``<PALAUTE_DATA_DIR>/imports``) by ``StagingUploadHandler``, which stops reading once the file
passes ``IMPORT_MAX_BYTES`` (default 200 MB), so a large file is neither held in memory nor
written twice. Next to the file, ``meta.json`` records whose it is (organisation, survey,
user), its name, the chosen sheet and the last mapping checked; ``problems.csv`` holds the
last dry run's problems. A staged upload is found only by its random token *and* the
organisation and survey it was uploaded for. Uploads older than a day are swept away.

With several web machines, the steps of one import must reach the machine that holds the
upload (shared storage for ``IMPORT_STAGING_DIR``, or sticky sessions).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
KEEP_SECONDS = 24 * 3600
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")
UPLOAD_NAME = "upload"
META_NAME = "meta.json"
PROBLEMS_NAME = "problems.csv"


def staging_dir() -> Path:
    configured = getattr(settings, "IMPORT_STAGING_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "imports"


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass
class Staged:
    token: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return staging_dir() / self.token

    @property
    def path(self) -> Path:
        return self.directory / UPLOAD_NAME

    @property
    def problems_path(self) -> Path:
        return self.directory / PROBLEMS_NAME

    @property
    def filename(self) -> str:
        return self.meta.get("filename", "")

    def save(self) -> None:
        (self.directory / META_NAME).write_text(json.dumps(self.meta), encoding="utf-8")

    def discard(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def new_token() -> str:
    return secrets.token_urlsafe(16)


def adopt(token: str, *, organisation, survey, user, filename: str, size: int) -> Staged:
    """Record who an upload (already streamed to disk under ``token``) belongs to."""
    staged = Staged(
        token,
        {
            "organisation": organisation.pk,
            "survey": survey.pk,
            "user": getattr(user, "pk", None),
            "filename": Path(filename).name[:200],
            "size": size,
            "created": time.time(),
            "sheet": "",
            "mapping": None,
        },
    )
    staged.save()
    sweep()
    return staged


def find(token: str, *, organisation, survey) -> Staged | None:
    """The staged upload with this token, if it belongs to this organisation and survey."""
    if not TOKEN_RE.match(token or ""):
        return None
    staged = Staged(token)
    try:
        staged.meta = json.loads((staged.directory / META_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if staged.meta.get("organisation") != organisation.pk or staged.meta.get("survey") != survey.pk:
        return None
    if not staged.path.exists():
        return None
    return staged


def sweep(older_than: float = KEEP_SECONDS) -> None:
    """Remove staged uploads older than ``older_than`` seconds (and abandoned ones)."""
    root = staging_dir()
    if not root.is_dir():
        return
    limit = time.time() - older_than
    for directory in root.iterdir():
        try:
            if directory.is_dir() and directory.stat().st_mtime < limit:
                shutil.rmtree(directory, ignore_errors=True)
        except OSError:
            continue


class StagedFile(UploadedFile):
    """An upload already on disk in the staging directory."""

    def __init__(self, path: Path, token: str, name: str, size: int, content_type: str):
        super().__init__(
            file=path.open("rb"), name=name, content_type=content_type, size=size, charset=None
        )
        self.token = token
        self.path = path

    def temporary_file_path(self) -> str:
        return str(self.path)


class StagingUploadHandler(FileUploadHandler):
    """Streams each uploaded file into a new staging directory; stops past ``limit`` bytes
    (``too_big`` tells the view) and leaves nothing behind then."""

    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self.limit = limit if limit is not None else max_bytes()
        self.too_big = False
        self._handle: BinaryIO | None = None
        self._token = ""
        self._size = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A request far larger than the limit is refused before its body is read: an empty
        # form comes back, and ``too_big`` says why.
        if content_length and content_length > self.limit + 1024 * 1024:
            self.too_big = True
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self._token = new_token()
        directory = staging_dir() / self._token
        directory.mkdir(parents=True, exist_ok=True)
        self._handle = (directory / UPLOAD_NAME).open("wb")
        self._size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._size += len(raw_data)
        if self._size > self.limit:
            self.too_big = True
            self._abandon()
            raise StopUpload(connection_reset=False)
        assert self._handle is not None
        self._handle.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> StagedFile:
        assert self._handle is not None
        self._handle.close()
        self._handle = None
        path = staging_dir() / self._token / UPLOAD_NAME
        return StagedFile(
            path, self._token, self.file_name or UPLOAD_NAME, file_size, self.content_type or ""
        )

    def upload_interrupted(self) -> None:
        self._abandon()

    def _abandon(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._token:
            shutil.rmtree(staging_dir() / self._token, ignore_errors=True)
