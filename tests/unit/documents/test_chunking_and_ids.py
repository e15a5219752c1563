"""Chunks keep their page and overlap; names and ids are stable and valid for Chroma."""

from __future__ import annotations

import itertools
import re

import pytest

from mediabatch.documents import ids
from mediabatch.documents.chunking import ChunkingConfig, chunk_pages, split_text
from mediabatch.documents.models import PageText

WORDS = " ".join(f"word{i}" for i in range(400))  # 400 words, about 3,500 characters


def test_chunks_keep_the_page_they_come_from() -> None:
    pages = [PageText(1, "short first page"), PageText(3, WORDS), PageText(4, "   "), PageText(5, "last")]
    chunks = chunk_pages(pages, ChunkingConfig(size=1000, overlap=200))
    assert chunks[0].page == 1 and chunks[0].text == "short first page"
    assert {c.page for c in chunks[1:-1]} == {3} and len(chunks[1:-1]) >= 4
    assert chunks[-1].page == 5 and chunks[-1].text == "last"
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_chunks_are_at_most_the_size_end_on_words_and_overlap() -> None:
    config = ChunkingConfig(size=300, overlap=60)
    pieces = split_text(WORDS, config)
    assert all(len(p) <= 300 for p in pieces)
    words = set(WORDS.split())
    assert all(set(p.split()) <= words for p in pieces), "no word is cut"
    for before, after in itertools.pairwise(pieces):
        assert after.split()[0] in before.split(), "each chunk starts inside the previous one"
    assert " ".join(pieces).split()[-1] == "word399"


def test_without_overlap_the_chunks_are_the_text() -> None:
    pieces = split_text(WORDS, ChunkingConfig(size=500, overlap=0))
    assert " ".join(pieces) == WORDS


def test_whitespace_is_collapsed_and_right_to_left_text_kept() -> None:
    (chunk,) = chunk_pages([PageText(1, "حَبيبي\n\n  habibi\tحَبيبي")], ChunkingConfig())
    assert chunk.text == "حَبيبي habibi حَبيبي"


@pytest.mark.parametrize(("size", "overlap"), [(10, 0), (100, 50), (100, -1)])
def test_unreasonable_chunking_is_refused(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        ChunkingConfig(size, overlap)


def test_chunk_ids_are_stable_and_share_the_document_prefix() -> None:
    key = ids.document_key("t1", "course", "lecture1.pdf")
    assert key == ids.document_key("t1", "course", "lecture1.pdf")
    assert (
        len({key, ids.document_key("t2", "course", "lecture1.pdf"), ids.document_key("t1", "other", "lecture1.pdf")})
        == 3
    )
    assert ids.chunk_id(key, 7) == f"{key}-000007" and ids.chunk_id(key, 7).startswith(key + "-")
    assert ids.media_id(key) == ids.media_id(key) and re.fullmatch(r"[0-9a-f-]{36}", ids.media_id(key))


def test_physical_collection_names_follow_chromas_rule_and_keep_tenants_apart() -> None:
    name = ids.physical_collection("tenant-a", "network_security_course")
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]", name) and ".." not in name
    assert name.startswith(ids.tenant_prefix("tenant-a"))
    assert not ids.physical_collection("tenant-ab", "x").startswith(ids.tenant_prefix("tenant-a"))
