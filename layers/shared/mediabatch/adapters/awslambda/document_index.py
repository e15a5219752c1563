"""Search and collections through the document worker (a synchronous Lambda invoke): the API
function stays a small zip while the worker image holds the model and Chroma's client."""

from __future__ import annotations

import json
from typing import Any

from mediabatch.documents.models import CollectionInfo, DocumentKind, SearchHit


class RemoteIndexFailed(RuntimeError):
    """The worker answered with an error."""


class RemoteDocumentIndex:
    def __init__(self, function_name: str, lambda_client: Any) -> None:
        self._function = function_name
        self._lambda = lambda_client

    def _call(self, event: dict[str, Any]) -> Any:
        response = self._lambda.invoke(FunctionName=self._function, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError") or (isinstance(payload, dict) and "errorType" in payload):
            raise RemoteIndexFailed(f"{self._function}: {payload}")
        return payload

    def search(self, collection: str, query: str, n_results: int) -> list[SearchHit] | None:
        found = self._call({"step": "search", "collection": collection, "query": query, "n_results": n_results})
        if found is None:
            return None
        return [
            SearchHit(
                document=h["document"],
                kind=DocumentKind(h["kind"]),
                page=int(h["page"]),
                chunk_index=int(h["chunk_index"]),
                text=h["text"],
                distance=float(h["distance"]),
            )
            for h in found
        ]

    def collections(self, prefix: str) -> list[CollectionInfo]:
        return [
            CollectionInfo(c["name"], int(c["chunks"])) for c in self._call({"step": "collections", "prefix": prefix})
        ]

    def delete_collection(self, collection: str) -> bool:
        return bool(self._call({"step": "delete_collection", "collection": collection}))
