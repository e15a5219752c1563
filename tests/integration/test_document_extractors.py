"""The PDF and PPTX adapters on real files (the shared corpus) and on hostile ones: encrypted,
truncated, decompression bombs, zip bombs and XML entity bombs are refused with a clear
message, without reading the bomb into memory."""

from __future__ import annotations

import io
import resource
import zipfile
import zlib
from pathlib import Path

import pytest

from mediabatch.adapters.pdf.extractor import PdfExtractor
from mediabatch.adapters.pptx.extractor import PptxExtractor
from mediabatch.documents.ports import NO_TEXT, ExtractionFailed

pytestmark = pytest.mark.integration
CORPUS = Path("/work/shared/corpus/documents")


def text_of(name: str) -> str:
    extractor = PdfExtractor() if name.endswith(".pdf") else PptxExtractor()
    return "\n".join(p.text for p in extractor.extract((CORPUS / name).read_bytes()).pages)


def failure(extractor: PdfExtractor | PptxExtractor, data: bytes) -> str:
    with pytest.raises(ExtractionFailed) as raised:
        extractor.extract(data)
    return str(raised.value)


def test_decks_give_up_text_in_tables_groups_charts_and_notes() -> None:
    assert "vert anchor is top" in text_of("tbl-cell.pptx")
    assert "Group test text" in text_of("test_slides.pptx")
    assert "Category 1" in text_of("cht-charts.pptx") and "Series 1" in text_of("cht-charts.pptx")
    assert "Notes" in text_of("sld-notes.pptx")


def test_pdfs_keep_page_numbers_and_right_to_left_text() -> None:
    pages = PdfExtractor().extract((CORPUS / "pdflatex-4-pages.pdf").read_bytes()).pages
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert "حَبيبي" in text_of("habibi.pdf")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("libreoffice-writer-password.pdf", "The document is encrypted"),
        ("imagemagick-images.pdf", NO_TEXT),
        ("unreadablemetadata.pdf", "The document is corrupt or truncated"),
    ],
)
def test_unreadable_pdfs_fail_clearly(name: str, message: str) -> None:
    assert failure(PdfExtractor(), (CORPUS / name).read_bytes()).startswith(message)


def test_truncated_files_fail_clearly() -> None:
    pdf = (CORPUS / "minimal-document.pdf").read_bytes()
    assert failure(PdfExtractor(), pdf[: len(pdf) // 2]).startswith("The document is corrupt or truncated")
    deck = (CORPUS / "test.pptx").read_bytes()
    assert failure(PptxExtractor(), deck[: len(deck) // 2]).startswith("The document is corrupt or truncated")


def pdf_with_content(stream: bytes) -> bytes:
    """A one-page PDF whose content stream is `stream`, FlateDecode-compressed."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    offsets.append(out.tell())
    out.write(
        b"4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream\nendobj\n"
    )
    xref = out.tell()
    out.write(b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_pdf_decompression_bomb_is_refused_within_bounded_memory() -> None:
    compressor = zlib.compressobj(9)
    bomb = b"".join(compressor.compress(b"\0" * 2**20) for _ in range(300)) + compressor.flush()  # 300 MiB of zeros
    assert len(bomb) < 2**20
    before = peak_rss_mb()
    message = failure(PdfExtractor(), pdf_with_content(bomb))
    assert message.startswith("The document exceeds processing limits")
    assert peak_rss_mb() - before < 250, "the bomb was not decompressed in full"


def pptx_with(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


BASE = {"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p:presentation/>"}


def test_a_zip_bomb_deck_is_refused_before_parsing() -> None:
    message = failure(PptxExtractor(), pptx_with({**BASE, "ppt/media/bomb.bin": b"\0" * (64 * 2**20)}))
    assert message == "The document exceeds processing limits: ppt/media/bomb.bin is a zip bomb"


def test_a_deck_of_too_many_parts_is_refused() -> None:
    many = {**BASE, **{f"ppt/x/{i}.xml": b"<a/>" for i in range(5001)}}
    assert failure(PptxExtractor(), pptx_with(many)).endswith("more than 5000 parts")


def test_an_xml_entity_bomb_is_refused() -> None:
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
        b"<p:sld>&lol2;</p:sld>"
    )
    message = failure(PptxExtractor(), pptx_with({**BASE, "ppt/slides/slide1.xml": lol}))
    assert message == "The document exceeds processing limits: ppt/slides/slide1.xml declares a DTD"
