"""Tenant isolation from the route table: for every route of docs/openapi.json that takes an id,
tenant B asking for the owner's resource (tenant C, tests/reliability/conftest.py) gets exactly
what it gets for a missing id of the same shape (status and body, the ids masked), for reads,
changes and deletes. A route whose path parameter has no fixture below fails, asking for one."""

from __future__ import annotations

import random
import re
import string
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localcloud.cloud import REPO_ROOT
from tests.conftest import Api
from tests.reliability.figures import record
from tests.support.feed_server import FeedServer, rss
from tests.support.media_server import MediaServer

DOC = REPO_ROOT / "docs" / "openapi.json"
PARAM = re.compile(r"\{([^}]+)\}")
# Path parameters that are not ids of a tenant's resource: the same value for both calls.
NOT_IDS = {"chunk_index": "0"}
# Operator routes are not tenant routes: they take the admin token, never a tenant key, and
# name tenants on purpose (tests/e2e/test_admin_keys.py covers them).
ADMIN = "/admin/"
# Documents' files live in the tenants' own document store; a tiny PDF is enough.
PDF = Path("/work/shared/corpus/documents/crazyones-pdfa.pdf")  # as tests/e2e/test_documents.py

_figures: dict[str, Any] = {"routes": {}}


def routes() -> list[tuple[str, str]]:
    import json

    doc = json.loads(DOC.read_text())
    return sorted(
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"} and PARAM.search(path) and not path.startswith(ADMIN)
    )


def kind_of(path: str, param: str) -> str:
    """Which resource a path parameter names: the same name can mean two kinds (`job_id`)."""
    if param == "job_id":
        return "show_job" if path.startswith("/jobs/") else "document_job"
    if param == "batch_id":
        return "show_batch" if path.startswith("/batch/") else "batch"
    return param.removesuffix("_id").removesuffix("_name")


def same_shape(value: str, rng: random.Random) -> str:
    """A missing id shaped like `value`: its prefix (up to the last `_`) kept, each other
    character replaced by one of its class (digit, hex letter, letter)."""
    head, _, tail = value.rpartition("_")
    prefix = head + "_" if head else ""

    def swap(c: str) -> str:
        if c.isdigit():
            return rng.choice(string.digits)
        if c in "abcdef":
            return rng.choice("abcdef")
        if c.isalpha():
            return rng.choice(string.ascii_lowercase if c.islower() else string.ascii_uppercase)
        return c

    return prefix + "".join(swap(c) for c in tail)


def wait_until(fetch: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = fetch()
        if found:
            return found
        assert time.monotonic() < deadline, "resource did not appear in time"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def owned(api_c: Api, media_server: MediaServer) -> Iterator[dict[str, str]]:
    """One resource of each kind, owned by tenant C; the webhook subscription is removed after."""
    hook = api_c.request("POST", "/api/v0/webhooks", json={"url": media_server.url("/hook"), "events": ["*"]})
    assert hook.status_code == 201, hook.text
    webhook_id = hook.json()["id"]
    batch = api_c.create_batch(urls=[media_server.url("/clip.mp4?tenant-matrix=1")])
    assert batch.status_code == 202, batch.text
    batch_id = batch.json()["batch_id"]
    show_job = api_c.request("POST", "/jobs", json={"url": media_server.url("/clip.mp4?tenant-matrix=2")})
    assert show_job.status_code == 202, show_job.text
    with FeedServer({}) as feeds:
        feeds.feeds["matrix.rss"] = rss("Matrix", [("Episode 1", media_server.url("/clip.mp4?tenant-matrix=3"))])
        show = api_c.request("POST", "/jobs", json={"url": feeds.url("/feeds/matrix.rss")})
    assert show.status_code == 202, show.text
    upload = api_c.request("POST", "/api/v1/videos/batch/init", json={"files": [{"filename": "m.mp4", "size": 1000}]})
    assert upload.status_code == 200, upload.text
    collection = f"matrix-{uuid.uuid4().hex[:8]}"
    doc_job = api_c.request("POST", "/api/embedding-uploads", json={"files": [{"name": "a.pdf", "size": 1000}]})
    assert doc_job.status_code == 201, doc_job.text
    embedded = api_c.request(
        "POST",
        "/api/start-embedding",
        files={"file": ("crazyones.pdf", PDF.read_bytes(), "application/pdf")},
        data={"collection_name": collection},
    )
    assert embedded.status_code == 202, embedded.text
    api_c.wait_for(batch_id)
    media_id = api_c.request("GET", "/api/v0/media").json()["items"][0]["id"]
    delivery_id = wait_until(
        lambda: [d["id"] for d in api_c.request("GET", f"/api/v0/webhooks/{webhook_id}/deliveries").json()["items"]]
    )[0]
    wait_until(
        lambda: (
            api_c.request("GET", f"/api/job-status/{embedded.json()['job_id']}").json()["status"]
            in {"completed", "partially_completed", "failed"}
        )
    )
    yield {
        "webhook": webhook_id,
        "delivery": delivery_id,
        "batch": batch_id,
        "show_batch": show.json()["batch_id"],
        "show_job": show_job.json()["id"],
        "upload": upload.json()["data"][0]["uploadId"],
        "media": media_id,
        "document_job": doc_job.json()["job_id"],
        "collection": collection,
    }
    api_c.request("DELETE", f"/api/v0/webhooks/{webhook_id}")


def answer(response: requests.Response, ids: list[str]) -> tuple[int, Any]:
    """What a caller can tell apart: status, and the body with the ids in it masked."""
    text = response.text
    for value in ids:
        text = text.replace(value, "<id>")
    try:
        import json

        return response.status_code, json.loads(text)
    except ValueError:
        return response.status_code, text


BODIES: dict[str, dict[str, Any]] = {"/query": {"json": {"query": "x", "n_results": 1}}}


@pytest.fixture(scope="module", autouse=True)
def figures() -> Any:
    yield
    record("tenants", _figures)


@pytest.mark.parametrize(("method", "path"), routes(), ids=lambda v: str(v))
def test_another_tenants_id_answers_as_a_missing_one(
    api_c: Api, api_b: Api, owned: dict[str, str], method: str, path: str
) -> None:
    rng = random.Random(f"{method} {path}")
    theirs, missing = path, path
    masked: list[str] = []
    for param in PARAM.findall(path):
        if param in NOT_IDS:
            theirs = theirs.replace(f"{{{param}}}", NOT_IDS[param])
            missing = missing.replace(f"{{{param}}}", NOT_IDS[param])
            continue
        kind = kind_of(path, param)
        assert kind in owned, f"no fixture for path parameter {param!r} ({kind}) of {method} {path}: add one to `owned`"
        other = same_shape(owned[kind], rng)
        theirs = theirs.replace(f"{{{param}}}", owned[kind])
        missing = missing.replace(f"{{{param}}}", other)
        masked += [owned[kind], other]
    extra = next((b for suffix, b in BODIES.items() if path.endswith(suffix)), {})

    got_theirs = answer(api_b.request(method, theirs, **extra), masked)
    got_missing = answer(api_b.request(method, missing, **extra), masked)

    _figures["routes"][f"{method} {path}"] = got_theirs[0]
    assert got_theirs == got_missing
    assert got_theirs[0] in (400, 404), got_theirs
    # And the owner's resource is still there: B's delete or change did nothing to it.
    if method == "GET":
        assert api_c.request(method, theirs).status_code == 200


def test_the_owners_resources_outlive_tenant_bs_changes_and_deletes(api_c: Api, owned: dict[str, str]) -> None:
    """Runs after the matrix (file order): B's DELETE and POST calls left the owner's resources alone."""
    for path in (
        f"/api/v1/batch/{owned['batch']}",
        f"/api/v0/media/{owned['media']}",
        f"/api/v0/webhooks/{owned['webhook']}",
        f"/api/v1/videos/batch/progress/{owned['upload']}",
        f"/api/job-status/{owned['document_job']}",
    ):
        assert api_c.request("GET", path).status_code == 200, path
    names = [c["name"] for c in api_c.request("GET", "/api/collections").json()["collections"]]
    assert owned["collection"] in names
