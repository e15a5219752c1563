"""Text into overlapping chunks that keep their page (or slide) number.

Chunks never span pages, so each one's page is exact; within a page, windows of `size`
characters end on a word boundary and the next starts `overlap` characters earlier."""

from __future__ import annotations

from dataclasses import dataclass

from mediabatch.documents.models import Chunk, PageText


@dataclass(frozen=True)
class ChunkingConfig:
    size: int = 1000
    overlap: int = 200

    def __post_init__(self) -> None:
        if self.size < 50 or not 0 <= self.overlap < self.size // 2:
            raise ValueError("chunk size must be >= 50 and overlap in [0, size/2)")


def chunk_pages(pages: list[PageText], config: ChunkingConfig) -> list[Chunk]:
    chunks: list[Chunk] = []
    for page in pages:
        chunks.extend(chunk_page(page, config, first_index=len(chunks)))
    return chunks


def chunk_page(page: PageText, config: ChunkingConfig, first_index: int) -> list[Chunk]:
    """One page's chunks, numbered on from `first_index` (the chunks of the pages before it)."""
    texts = split_text(" ".join(page.text.split()), config)
    return [Chunk(index=first_index + i, text=text, page=page.number) for i, text in enumerate(texts)]


def split_text(text: str, config: ChunkingConfig) -> list[str]:
    """`text` has single spaces between words (whitespace already collapsed)."""
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + config.size, len(text))
        if end < len(text):
            space = text.rfind(" ", start + config.size // 2, end + 1)
            end = space if space > start else end
        piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
        if end >= len(text):
            break
        start = _next_start(text, start, end, config.overlap)
    return pieces


def _next_start(text: str, start: int, end: int, overlap: int) -> int:
    """`overlap` characters before `end`, moved forward to the start of a word."""
    nxt = max(end - overlap, start + 1)
    if nxt > 0 and text[nxt - 1] != " ":
        space = text.find(" ", nxt, end)
        nxt = space + 1 if space != -1 else end
    return nxt
