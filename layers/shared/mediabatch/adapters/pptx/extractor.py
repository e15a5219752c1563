"""Text per slide: text frames, tables, grouped shapes (recursively), charts and speaker notes
(reading only top-level text frames misses most of a real deck)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.exc import PackageNotFoundError

from mediabatch.adapters.pptx.guard import check_package
from mediabatch.documents.models import DocumentKind, ExtractedDocument, PageText
from mediabatch.documents.ports import ExtractionFailed

MAX_GROUP_DEPTH = 32


class PptxExtractor:
    def pages(self, data: bytes) -> Iterator[PageText]:
        """All slides are read before the first is given (a deck takes milliseconds)."""
        return iter(self.extract(data).pages)

    def extract(self, data: bytes) -> ExtractedDocument:
        check_package(data)
        try:
            deck = Presentation(io.BytesIO(data))
            slides = []
            for number, slide in enumerate(deck.slides, start=1):
                text = "\n".join(t for t in slide_texts(slide) if t.strip())
                if text.strip():
                    slides.append(PageText(number, text))
        except ExtractionFailed:
            raise
        except (PackageNotFoundError, KeyError, ValueError, AttributeError, TypeError, IndexError) as exc:
            raise ExtractionFailed(f"The document is corrupt or truncated: {exc}") from exc
        except Exception as exc:  # lxml's XMLSyntaxError and zip errors of a damaged part
            raise ExtractionFailed(f"The document is corrupt or truncated: {type(exc).__name__}: {exc}") from exc
        return ExtractedDocument(DocumentKind.PPTX, slides)


def slide_texts(slide: Any) -> Iterator[str]:
    yield from shape_texts(slide.shapes, 0)
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None:
            yield notes.text


def shape_texts(shapes: Iterable[Any], depth: int) -> Iterator[str]:
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            if depth < MAX_GROUP_DEPTH:
                yield from shape_texts(shape.shapes, depth + 1)
            continue
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield shape.text_frame.text
        if getattr(shape, "has_table", False) and shape.has_table:
            yield from table_texts(shape.table)
        if getattr(shape, "has_chart", False) and shape.has_chart:
            yield from chart_texts(shape.chart)


def table_texts(table: Any) -> Iterator[str]:
    for row in table.rows:
        yield " | ".join(cell.text for cell in row.cells)


def chart_texts(chart: Any) -> Iterator[str]:
    if chart.has_title and chart.chart_title.has_text_frame:
        yield chart.chart_title.text_frame.text
    for plot in chart.plots:
        categories = [str(c) for c in plot.categories if c is not None]
        if categories:
            yield ", ".join(categories)
        for series in plot.series:
            if series.name:
                yield str(series.name)
