"""Text per page with pypdf, failing clearly on encrypted, corrupt, truncated or bomb input."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError, PdfStreamError

from mediabatch.documents.models import DocumentKind, ExtractedDocument, PageText
from mediabatch.documents.ports import NO_TEXT, ExtractionFailed

MAX_PAGES = 5000
# A scan carries an image per page and at most a stray word of text (a layer name drawn under the
# image): fewer characters than this per page on average, with images, counts as no text.
MIN_CHARS_PER_IMAGE_PAGE = 20
# pypdf logs a warning per font on LaTeX files and per oddity of broken ones: noise in a worker.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class PdfExtractor:
    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self._max_pages = max_pages

    def extract(self, data: bytes) -> ExtractedDocument:
        return ExtractedDocument(DocumentKind.PDF, list(self.pages(data)))

    def pages(self, data: bytes) -> Iterator[PageText]:
        """Page by page (pypdf takes about 30 ms a page): the caller works on the first pages
        while the next are read."""
        try:
            yield from self._pages(data)
        except ExtractionFailed:
            raise
        except LimitReachedError as exc:  # a decompression bomb: not a PdfReadError
            raise ExtractionFailed(f"The document exceeds processing limits: {exc}") from exc
        except FileNotDecryptedError as exc:
            raise ExtractionFailed("The document is encrypted") from exc
        except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ExtractionFailed(f"The document is corrupt or truncated: {exc}") from exc
        except RecursionError as exc:
            raise ExtractionFailed("The document is corrupt: its structure nests too deeply") from exc

    def _pages(self, data: bytes) -> Iterator[PageText]:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            raise ExtractionFailed("The document is encrypted")
        if len(reader.pages) > self._max_pages:
            raise ExtractionFailed(f"The document has more than {self._max_pages} pages")
        chars = 0
        images = False
        for number, page in enumerate(reader.pages, start=1):
            _decode_contents(page)
            text = page.extract_text() or ""
            images = images or _draws_images(page)
            if text.strip():
                chars += len("".join(text.split()))
                yield PageText(number, text)
        if images and chars < MIN_CHARS_PER_IMAGE_PAGE * len(reader.pages):
            raise ExtractionFailed(NO_TEXT)  # a scan: its stray words are not its text


def _decode_contents(page: Any) -> None:
    """Decodes the page's content stream (pypdf caches it for extract_text), so that a
    decompression bomb raises LimitReachedError here: extract_text itself swallows it."""
    contents = page.get_contents()
    if contents is not None:
        contents.get_data()


def _draws_images(page: Any) -> bool:
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if xobjects is None:
        return False
    return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.get_object().values())


def _opens_without_password(reader: PdfReader) -> bool:
    """Some PDFs are encrypted with an empty user password (readable by anyone)."""
    try:
        return bool(reader.decrypt(""))
    except (PdfReadError, NotImplementedError, ValueError):
        return False
