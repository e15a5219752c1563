"""The int8 ONNX embedder against the reference (sentence-transformers on torch): same vectors to
a cosine of about 0.99 on real corpus chunks, in the caller's order although batches are formed
by token length, and unit length."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from mediabatch.adapters.embeddings.model_files import DIMENSION, bundled_model_dir
from mediabatch.adapters.embeddings.onnx_int8 import OnnxInt8Embedder
from mediabatch.adapters.pdf.extractor import PdfExtractor
from mediabatch.documents.chunking import ChunkingConfig, chunk_pages

pytestmark = pytest.mark.integration
CORPUS = Path("/work/shared/corpus/documents")


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> OnnxInt8Embedder:
    return OnnxInt8Embedder(bundled_model_dir(), tmp_path_factory.mktemp("models"), batch_size=4)


@pytest.fixture(scope="module")
def chunks() -> list[str]:
    """Chunks of very different lengths: a thesis' full pages and a few short lines."""
    pages = PdfExtractor().extract((CORPUS / "GeoTopo-komprimiert.pdf").read_bytes()).pages
    long = [c.text for c in chunk_pages(pages[10:14], ChunkingConfig())]
    return [*long[:6], "habibi", "Lorem ipsum dolor sit amet", *long[6:9], "two-column document layout"]


def cosines(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> list[float]:
    return [float(np.dot(x, y)) for x, y in zip(np.asarray(a), np.asarray(b), strict=True)]


def test_vectors_match_torch_in_the_callers_order(embedder: OnnxInt8Embedder, chunks: list[str]) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(bundled_model_dir()), device="cpu", local_files_only=True).encode(
        chunks, normalize_embeddings=True
    )
    vectors = embedder.embed(chunks)
    assert len(vectors) == len(chunks) and all(len(v) == DIMENSION for v in vectors)
    same = cosines(vectors, reference)
    assert min(same) > 0.95 and sum(same) / len(same) > 0.98, same
    # Each vector is its own chunk's, not a neighbour's from the same length-sorted batch.
    assert [int(np.argmax(reference @ np.asarray(v))) for v in vectors] == list(range(len(chunks)))


def test_a_text_embeds_the_same_alone_or_among_others(embedder: OnnxInt8Embedder, chunks: list[str]) -> None:
    together = embedder.embed(chunks)
    alone = [embedder.embed([text])[0] for text in chunks]
    assert min(cosines(together, alone)) > 0.99
    assert all(abs(np.linalg.norm(v) - 1.0) < 1e-4 for v in together)
    assert embedder.embed([]) == []
