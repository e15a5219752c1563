"""Checks a PPTX package before parsing it: zip bombs (entry count, uncompressed size, ratio)
and XML bombs (a DOCTYPE, which OOXML never needs, may declare entities that expand)."""

from __future__ import annotations

import io
import zipfile

from mediabatch.documents.ports import ExtractionFailed

MAX_ENTRIES = 5000
MAX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed of one entry; XML compresses about 10x
_PROLOG_BYTES = 4096


def check_package(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ExtractionFailed(f"The document is corrupt or truncated: {exc}") from exc
    if len(entries) > MAX_ENTRIES:
        raise ExtractionFailed(f"The document exceeds processing limits: more than {MAX_ENTRIES} parts")
    if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED:
        raise ExtractionFailed("The document exceeds processing limits: too large once decompressed")
    for entry in entries:
        if entry.file_size > 1024 * 1024 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise ExtractionFailed(f"The document exceeds processing limits: {entry.filename} is a zip bomb")
        if entry.filename.endswith((".xml", ".rels")):
            _check_xml_prolog(archive, entry)


def _check_xml_prolog(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    try:
        with archive.open(entry) as part:
            prolog = part.read(_PROLOG_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ExtractionFailed(f"The document is corrupt or truncated: {exc}") from exc
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise ExtractionFailed(f"The document exceeds processing limits: {entry.filename} declares a DTD")
