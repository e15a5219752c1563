"""The Chroma adapter against embedded Chroma (a folder) and a real Chroma server (`chroma run`
on a free loopback port, through HttpClient, as on AWS or with CHROMA_HOST set)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localcloud.cloud import free_port
from mediabatch.adapters.chroma.store import ChromaVectorStore, http_client, persistent_client
from mediabatch.documents.models import StoredChunk

pytestmark = pytest.mark.integration
CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, "chroma run exited"
            assert time.monotonic() < deadline, "chroma run did not answer in 60 s"
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ChromaVectorStore:
    client: Any
    if request.param == "embedded":
        client = persistent_client(str(tmp_path / "chroma"))
    else:
        host, port = request.getfixturevalue("chroma_server")
        client = http_client(host, port)
    return ChromaVectorStore(client)


def chunk(doc: str, index: int, text: str, page: int = 1) -> StoredChunk:
    return StoredChunk(
        id=f"{doc}-{index:06d}",
        text=text,
        metadata={"document": f"{doc}.pdf", "document_key": doc, "kind": "pdf", "page": page, "chunk_index": index},
    )


def unit(*values: float) -> list[float]:
    norm = sum(v * v for v in values) ** 0.5
    return [v / norm for v in values]


def test_add_query_replace_list_and_delete(store: ChromaVectorStore, request: pytest.FixtureRequest) -> None:
    name = f"mb-t1.{request.node.callspec.id}-course"
    assert store.max_batch_size() >= 100
    assert store.query(name, unit(1, 0, 0), 3) is None
    store.add(name, [chunk("a", 0, "alpha", 1), chunk("a", 1, "beta", 2)], [unit(1, 0, 0), unit(0, 1, 0)])
    store.add(name, [chunk("b", 0, "gamma", 7)], [unit(0, 0, 1)])
    hits = store.query(name, unit(0, 1, 0.1), 2)
    assert hits is not None and (hits[0].document, hits[0].page, hits[0].text) == ("a.pdf", 2, "beta")
    assert hits[0].distance < hits[1].distance
    store.delete_document(name, "a")  # re-ingest: the old chunks of a go first
    store.add(name, [chunk("a", 0, "alpha again")], [unit(1, 0, 0)])
    assert store.count_document(name, "a") == 1 and store.count_document(name, "b") == 1
    listed = {c.name: c.chunks for c in store.list_collections("mb-t1.")}
    assert listed[name] == 2
    assert store.list_collections("mb-t2.") == []
    assert store.delete_collection(name) is True
    assert store.delete_collection(name) is False
