"""Search and collections where the model and the vector store live (the worker; the local cloud)."""

from __future__ import annotations

from collections.abc import Callable

from mediabatch.documents.models import CollectionInfo, SearchHit
from mediabatch.documents.ports import Embedder, VectorStore


class LocalDocumentIndex:
    def __init__(self, store: VectorStore, embedder: Callable[[], Embedder]) -> None:
        self._store = store
        self._embedder = embedder  # loaded on the first search only

    def search(self, collection: str, query: str, n_results: int) -> list[SearchHit] | None:
        (embedding,) = self._embedder().embed([query])
        return self._store.query(collection, embedding, n_results)

    def collections(self, prefix: str) -> list[CollectionInfo]:
        return self._store.list_collections(prefix)

    def delete_collection(self, collection: str) -> bool:
        return self._store.delete_collection(collection)
