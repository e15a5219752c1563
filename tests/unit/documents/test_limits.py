"""The seed's validation messages, word for word, and types told by content."""

from __future__ import annotations

import io
import zipfile

import pytest

from mediabatch.documents import limits
from mediabatch.documents.limits import DocumentRequestInvalid, NamedSize
from mediabatch.documents.models import DocumentKind

MB = 1024 * 1024


def deck(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in names:
            z.writestr(n, "<x/>")
    return buf.getvalue()


def message(call: object) -> str:
    with pytest.raises(DocumentRequestInvalid) as raised:
        call()  # type: ignore[operator]
    return raised.value.message


def test_counts() -> None:
    assert message(lambda: limits.check_count(1, minimum=2)) == "Minimum 2 files required for batch upload"
    assert message(lambda: limits.check_count(11, minimum=2)) == "Maximum 10 files allowed per batch"
    limits.check_count(10, minimum=2)
    limits.check_count(1, minimum=1)


def test_type_size_and_total_messages() -> None:
    assert (
        message(lambda: limits.check_files([NamedSize("document.txt", 5)]))
        == "File 'document.txt' has invalid type. Allowed types: PDF, PPTX"
    )
    assert (
        message(lambda: limits.check_files([NamedSize("large-presentation.pptx", 50 * MB + 1)]))
        == "File 'large-presentation.pptx' exceeds 50MB limit"
    )
    total = [NamedSize(f"f{i}.pdf", int(43.06 * MB)) for i in range(5)]
    assert message(lambda: limits.check_files(total)) == "Total batch size (215.3MB) exceeds 200MB limit"
    assert limits.check_files([NamedSize("A.PDF", 50 * MB), NamedSize("b.pptx", 1)]) == [
        DocumentKind.PDF,
        DocumentKind.PPTX,
    ]


def test_type_by_content() -> None:
    assert limits.kind_by_content(b"%PDF-1.7\n...") is DocumentKind.PDF
    assert limits.kind_by_content(deck(["[Content_Types].xml", "ppt/presentation.xml"])) is DocumentKind.PPTX
    assert limits.kind_by_content(deck(["[Content_Types].xml", "word/document.xml"])) is None  # a .docx
    assert limits.kind_by_content(b"PK\x03\x04 truncated") is None
    assert limits.kind_by_content(b"hello") is None
    assert message(lambda: limits.check_content("x.pdf", deck(["[Content_Types].xml", "ppt/presentation.xml"]))) == (
        "File 'x.pdf' has invalid type. Allowed types: PDF, PPTX"
    )


@pytest.mark.parametrize("name", ["a", "course_1", "network.security-2025", "x" * 200])
def test_collection_names_accepted(name: str) -> None:
    assert limits.check_collection_name(name) == name


@pytest.mark.parametrize("name", ["", "-x", "x-", "a..b", "a/b", "x" * 201, "é"])
def test_collection_names_refused(name: str) -> None:
    with pytest.raises(DocumentRequestInvalid):
        limits.check_collection_name(name)
