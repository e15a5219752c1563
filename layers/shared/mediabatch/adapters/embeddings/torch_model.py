"""all-MiniLM-L6-v2 through sentence-transformers and torch (the reference implementation)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from mediabatch.adapters.embeddings.model_files import DIMENSION


class TorchEmbedder:
    def __init__(self, model_dir: Path, *, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # heavy: only when this adapter is built

        self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self._batch_size = batch_size
        self._lock = threading.Lock()  # one forward pass at a time: torch already uses every core

    @property
    def dimension(self) -> int:
        return DIMENSION

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        with self._lock:
            vectors = self._model.encode(
                list(texts), batch_size=self._batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return [[float(x) for x in row] for row in vectors]
