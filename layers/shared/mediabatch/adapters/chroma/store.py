"""Chunks in Chroma: cosine collections created on first write, embeddings always supplied by
us (no embedding function of Chroma's runs, so nothing is downloaded)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from mediabatch.documents.models import CollectionInfo, DocumentKind, SearchHit, StoredChunk

_SPACE = {"hnsw:space": "cosine"}


def _missing(exc: Exception) -> bool:
    return type(exc).__name__ in ("NotFoundError", "InvalidCollectionException") or "does not exist" in str(exc)


class ChromaVectorStore:
    def __init__(self, client: Any) -> None:
        self._client = client

    def max_batch_size(self) -> int:
        return int(self._client.get_max_batch_size())

    def _get(self, name: str) -> Any | None:
        try:
            return self._client.get_collection(name=name, embedding_function=None)
        except Exception as exc:
            if _missing(exc):
                return None
            raise

    def delete_document(self, collection: str, document_key: str) -> None:
        col = self._get(collection)
        if col is not None:
            col.delete(where={"document_key": document_key})

    def add(self, collection: str, chunks: Sequence[StoredChunk], embeddings: Sequence[Sequence[float]]) -> None:
        col = self._client.get_or_create_collection(name=collection, metadata=_SPACE, embedding_function=None)
        col.upsert(
            ids=[c.id for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[dict(c.metadata) for c in chunks],
            embeddings=[list(e) for e in embeddings],
        )

    def query(self, collection: str, embedding: Sequence[float], n_results: int) -> list[SearchHit] | None:
        col = self._get(collection)
        if col is None:
            return None
        found = col.query(
            query_embeddings=[list(embedding)], n_results=n_results, include=["documents", "metadatas", "distances"]
        )
        hits = []
        for text, meta, distance in zip(
            found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
        ):
            hits.append(
                SearchHit(
                    document=str(meta["document"]),
                    kind=DocumentKind(str(meta["kind"])),
                    page=int(meta["page"]),
                    chunk_index=int(meta["chunk_index"]),
                    text=text or "",
                    distance=float(distance),
                )
            )
        return hits

    def count_document(self, collection: str, document_key: str) -> int:
        col = self._get(collection)
        return 0 if col is None else len(col.get(where={"document_key": document_key}, include=[])["ids"])

    def list_collections(self, prefix: str) -> list[CollectionInfo]:
        out = []
        for col in self._client.list_collections():
            name = col if isinstance(col, str) else col.name
            if name.startswith(prefix):
                found = self._get(name)
                out.append(CollectionInfo(name, found.count() if found is not None else 0))
        return out

    def delete_collection(self, collection: str) -> bool:
        try:
            self._client.delete_collection(name=collection)
        except Exception as exc:
            if _missing(exc):
                return False
            raise
        return True


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def persistent_client(path: str) -> Any:
    """Embedded Chroma in a folder: one process only (Chroma is not process-safe), and one
    client per folder in it (two threads creating the first client of a folder at once break
    Chroma's shared system)."""
    import chromadb
    from chromadb.config import Settings

    with _clients_lock:
        if path not in _clients:
            _clients[path] = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))
        return _clients[path]


def http_client(host: str, port: int) -> Any:
    """A Chroma server (`chroma run --path DIR --host H --port P`): many processes, and AWS."""
    import chromadb
    from chromadb.config import Settings

    return chromadb.HttpClient(host=host, port=port, settings=Settings(anonymized_telemetry=False))
