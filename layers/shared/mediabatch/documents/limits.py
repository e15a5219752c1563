"""The seed's upload rules and their messages, word for word (they are the API's `detail`)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from mediabatch.documents.models import DocumentKind
from mediabatch.errors import ValidationFailed

MB = 1024 * 1024
MIN_BATCH_FILES = 2
MAX_BATCH_FILES = 10
MAX_FILE_BYTES = 50 * MB
MAX_BATCH_BYTES = 200 * MB
MAX_COLLECTION_NAME = 200
_EXTENSIONS = {".pdf": DocumentKind.PDF, ".pptx": DocumentKind.PPTX}
# Letters, digits, '.', '_', '-'; starting and ending with a letter or digit, no '..' (Chroma's rule
# for the physical name, which adds a tenant prefix: see ids.py).
_COLLECTION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


class DocumentRequestInvalid(ValidationFailed):
    """A request the seed answers with 400 and a `detail` message."""

    code = "invalid_document_request"


@dataclass(frozen=True)
class NamedSize:
    name: str
    size: int


def invalid_type(name: str) -> DocumentRequestInvalid:
    return DocumentRequestInvalid(f"File '{name}' has invalid type. Allowed types: PDF, PPTX", code="invalid_file_type")


def kind_by_name(name: str) -> DocumentKind:
    dot = name.rfind(".")
    kind = _EXTENSIONS.get(name[dot:].lower()) if dot >= 0 else None
    if kind is None:
        raise invalid_type(name)
    return kind


def check_count(count: int, *, minimum: int) -> None:
    if count < minimum:
        raise DocumentRequestInvalid("Minimum 2 files required for batch upload", code="too_few_files")
    if count > MAX_BATCH_FILES:
        raise DocumentRequestInvalid("Maximum 10 files allowed per batch", code="too_many_files")


def check_files(files: Sequence[NamedSize]) -> list[DocumentKind]:
    """Per file: type by name, then size; then the batch total. Returns each file's kind."""
    kinds = []
    for f in files:
        kinds.append(kind_by_name(f.name))
        if f.size > MAX_FILE_BYTES:
            raise DocumentRequestInvalid(f"File '{f.name}' exceeds 50MB limit", code="file_too_large")
    total = sum(f.size for f in files)
    if total > MAX_BATCH_BYTES:
        raise DocumentRequestInvalid(
            f"Total batch size ({total / MB:.1f}MB) exceeds 200MB limit", code="batch_too_large"
        )
    return kinds


def check_collection_name(name: str) -> str:
    if len(name) > MAX_COLLECTION_NAME or ".." in name or not _COLLECTION.fullmatch(name):
        raise DocumentRequestInvalid(
            f"Invalid collection_name '{name}': use 1-{MAX_COLLECTION_NAME} letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit",
            code="invalid_collection_name",
        )
    return name


def kind_by_content(data: bytes) -> DocumentKind | None:
    """PDF: `%PDF-` within the first 1024 bytes (as readers accept it); PPTX: a zip holding
    `[Content_Types].xml` and `ppt/presentation.xml`."""
    if b"%PDF-" in data[:1024]:
        return DocumentKind.PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if {"[Content_Types].xml", "ppt/presentation.xml"} <= names:
            return DocumentKind.PPTX
    return None


def kind_by_prefix(prefix: bytes) -> DocumentKind | None:
    """What the first bytes allow to tell (presigned uploads, before the worker reads the whole
    file): a PDF header, or a zip (checked as a presentation by the worker)."""
    if b"%PDF-" in prefix[:1024]:
        return DocumentKind.PDF
    if prefix.startswith(b"PK\x03\x04"):
        return DocumentKind.PPTX
    return None


def check_content(name: str, data: bytes) -> DocumentKind:
    """The type by name must also be the type by content."""
    expected = kind_by_name(name)
    if kind_by_content(data) is not expected:
        raise invalid_type(name)
    return expected
