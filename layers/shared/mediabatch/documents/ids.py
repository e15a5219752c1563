"""Stable names: a tenant's collection inside the shared vector store, and chunk ids that stay the
same when a document is ingested again (so its old chunks are replaced, never duplicated)."""

from __future__ import annotations

import hashlib
import uuid

_PREFIX = "mb-"


def tenant_prefix(tenant_id: str) -> str:
    """Tenant ids have no '.', so `mb-<tenant>.` never prefixes another tenant's names."""
    return f"{_PREFIX}{tenant_id}."


def physical_collection(tenant_id: str, collection_name: str) -> str:
    """3-512 characters of [a-zA-Z0-9._-] (Chroma's rule), given a checked collection name."""
    return tenant_prefix(tenant_id) + collection_name


def document_key(tenant_id: str, collection_name: str, document_name: str) -> str:
    digest = hashlib.sha256(f"{tenant_id}\0{collection_name}\0{document_name}".encode()).hexdigest()
    return digest[:32]


def chunk_id(doc_key: str, index: int) -> str:
    """`<document key>-<index>`: every chunk of a document shares the document key as prefix."""
    return f"{doc_key}-{index:06d}"


def media_id(doc_key: str) -> str:
    """One catalog item per document and collection, the same on every re-ingest."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mediabatch:document:{doc_key}"))
