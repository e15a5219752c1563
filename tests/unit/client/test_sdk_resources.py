"""The SDK's newer resources (shows, documents, webhook subscriptions, batch history, open
uploads) against a scripted transport: what each call sends and what it makes of the answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
import requests

from mediabatch_client.errors import ConflictError, InvalidRequest, NotFoundError, PayloadTooLarge, ServerError
from mediabatch_client.resources.batches import Batches
from mediabatch_client.resources.documents import BatchDocumentStatus, Documents, SingleDocumentStatus, StartedBatch
from mediabatch_client.resources.shows import EpisodeJob, ShowCreated, Shows
from mediabatch_client.resources.uploads import Uploads
from mediabatch_client.resources.webhooks import Webhooks
from mediabatch_client.transport import Transport, _body_of

Answer = Any | Callable[[dict[str, Any]], Any]


class ScriptedTransport:
    """Answers `request` from a script keyed by (method, path), recording every call."""

    def __init__(self, script: dict[tuple[str, str], Answer]) -> None:
        self.script = script
        self.calls: list[dict[str, Any]] = []
        self.puts: list[tuple[str, bytes, dict[str, str]]] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        call = {"method": method, "path": path, **kwargs}
        self.calls.append(call)
        answer = self.script[(method, path)]
        return answer(call) if callable(answer) else answer

    def put_object(self, url: str, data: bytes, headers: dict[str, str]) -> None:
        self.puts.append((url, data, dict(headers)))

    def as_transport(self) -> Transport:
        return cast(Transport, self)


def episode(job_id: str, status: str = "completed", **extra: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "batch_id": "batch_1",
        "url": f"https://cdn.test/{job_id}.mp3",
        "status": status,
        "title": None,
        "file": None,
        "error": None,
        "error_code": None,
        "error_detail": None,
        "created_at": "2026-11-30T10:00:00Z",
        "completed_at": None,
        **extra,
    }


def show(status: str, completed: int, failed: int = 0) -> dict[str, Any]:
    return {
        "id": "batch_1",
        "show_url": "https://feeds.test/show.rss",
        "status": status,
        "folder": "pod",
        "total_episodes": 2,
        "completed_episodes": completed,
        "failed_episodes": failed,
        "episode_jobs": ["job_batch_1_0", "job_batch_1_1"],
    }


def test_a_show_url_makes_a_batch_and_a_media_url_one_job() -> None:
    created = {"batch_id": "batch_1", "total_episodes": 2, "episode_jobs": ["job_batch_1_0", "job_batch_1_1"]}
    t = ScriptedTransport({("POST", "/jobs"): created})
    result = Shows(t.as_transport()).create("https://feeds.test/show.rss", folder="pod")
    assert isinstance(result, ShowCreated) and result.total_episodes == 2
    assert t.calls[0]["json"] == {"url": "https://feeds.test/show.rss", "folder": "pod"}
    assert t.calls[0]["idempotency_key"]
    t.script[("POST", "/jobs")] = episode("job_x", "queued")
    single = Shows(t.as_transport()).create("https://cdn.test/ep.mp3")
    assert isinstance(single, EpisodeJob) and single.id == "job_x"


def test_watching_a_show_ends_when_every_episode_is_done_and_failed_ones_carry_their_code() -> None:
    states = iter([show("processing", 1), show("finished", 1, 1)])
    failed = episode("job_batch_1_1", "failed", error="HTTP 404", error_code="source_not_found")
    t = ScriptedTransport(
        {
            ("GET", "/batch/batch_1"): lambda _: next(states),
            ("GET", "/jobs/job_batch_1_0"): episode("job_batch_1_0"),
            ("GET", "/jobs/job_batch_1_1"): failed,
        }
    )
    shows = Shows(t.as_transport())
    seen = list(shows.watch("batch_1", interval=0))
    assert [s.status for s in seen] == ["processing", "finished"] and seen[-1].percent == 100.0
    jobs = shows.episodes(seen[-1])
    assert [(j.status, j.error_code) for j in jobs] == [("completed", None), ("failed", "source_not_found")]


def test_retry_in_place_posts_to_the_batch() -> None:
    t = ScriptedTransport({("POST", "/batch/batch_1/retry"): show("processing", 1)})
    assert Shows(t.as_transport()).retry("batch_1").status == "processing"
    assert t.calls[0]["safe"] is False


def batch_entry(batch_id: str) -> dict[str, Any]:
    counters = dict.fromkeys(("completed_jobs", "failed_jobs", "running_jobs", "queued_jobs", "cancelled_jobs"), 0)
    return {
        "batch_id": batch_id,
        "status": "completed",
        "total_jobs": 1,
        **counters,
        "created_at": "2026-11-30T10:00:00Z",
        "show_url": None,
        "folder": None,
    }


def test_batch_history_follows_every_page() -> None:
    pages = {
        None: {"batches": [batch_entry("b1"), batch_entry("b2")], "next_cursor": "c1"},
        "c1": {"batches": [batch_entry("b3")], "next_cursor": None},
    }
    t = ScriptedTransport({("GET", "/api/v1/batch"): lambda call: pages[call["params"]["cursor"]]})
    ids = [b.batch_id for b in Batches(t.as_transport()).iter(status="completed", page_size=2)]
    assert ids == ["b1", "b2", "b3"]
    assert [c["params"] for c in t.calls] == [
        {"status": "completed", "limit": 2, "cursor": None},
        {"status": "completed", "limit": 2, "cursor": "c1"},
    ]


def test_open_uploads_are_unwrapped_from_their_envelope() -> None:
    upload = {
        "uploadId": "up-1",
        "fileId": "f-1",
        "filename": "a.mp4",
        "size": 10,
        "contentType": "video/mp4",
        "isChunked": False,
        "chunkSize": 10,
        "totalChunks": 1,
        "status": "initialized",
        "channelId": None,
        "createdAt": "2026-11-30T10:00:00Z",
        "expiresAt": "2026-12-01T10:00:00Z",
    }
    t = ScriptedTransport(
        {("GET", "/api/v1/videos/batch/uploads"): {"success": True, "data": {"uploads": [upload], "nextCursor": None}}}
    )
    uploads = Uploads(cast(Any, None), t.as_transport())
    assert [u.uploadId for u in uploads.iter_open()] == ["up-1"]


def subscription(sub_id: str) -> dict[str, Any]:
    return {"id": sub_id, "url": "https://hooks.test/x", "events": ["batch.*"], "created_at": "2026-11-30T10:00:00Z"}


def test_webhook_subscriptions_deliveries_and_redelivery() -> None:
    delivery = {
        "id": "dlv_1",
        "webhook_id": "msg_b_batch.completed",
        "event_id": "e1",
        "event_type": "batch.completed",
        "endpoint": "whs_1",
        "state": "dead_lettered",
        "created_at": "t",
        "updated_at": "t",
        "attempts": [
            {
                "attempt": 1,
                "status_code": 500,
                "latency_ms": 3,
                "error": "HTTP 500",
                "at": "t",
                "state": "dead_lettered",
            }
        ],
    }
    t = ScriptedTransport(
        {
            ("POST", "/api/v0/webhooks"): subscription("whs_1"),
            ("GET", "/api/v0/webhooks"): {"items": [subscription("whs_1")]},
            ("GET", "/api/v0/webhooks/whs_1/deliveries"): {"items": [delivery], "next_cursor": None},
            ("POST", "/api/v0/webhooks/deliveries/dlv_1/redeliver"): {
                "delivery_id": "dlv_1",
                "webhook_id": "msg_b_batch.completed",
                "status": "queued",
            },
            ("DELETE", "/api/v0/webhooks/whs_1"): None,
        }
    )
    hooks = Webhooks(t.as_transport())
    assert hooks.subscribe("https://hooks.test/x", ["batch.*"]).id == "whs_1"
    assert t.calls[0]["json"] == {"url": "https://hooks.test/x", "events": ["batch.*"]}
    assert [s.id for s in hooks.list()] == ["whs_1"]
    (found,) = hooks.iter_deliveries("whs_1")
    assert found.attempts[0].status_code == 500
    assert hooks.redeliver("dlv_1").status == "queued"
    hooks.unsubscribe("whs_1")
    assert t.calls[-1]["method"] == "DELETE"


@pytest.fixture
def pdfs(tmp_path: Path) -> list[Path]:
    paths = [tmp_path / "a.pdf", tmp_path / "b.pptx"]
    for p in paths:
        p.write_bytes(b"%PDF-1.4 " + b"x" * 100)
    return paths


def test_small_files_go_multipart_with_the_seeds_field_names(pdfs: list[Path]) -> None:
    started = {"job_id": "j1", "status": "queued", "total_files": 2, "message": "Batch processing started for 2 files"}
    t = ScriptedTransport(
        {
            ("POST", "/api/start-embedding-batch"): started,
            ("POST", "/api/start-embedding"): {"job_id": "j2", "status": "queued", "message": "m"},
        }
    )
    docs = Documents(t.as_transport())
    assert isinstance(docs.embed(pdfs, collection="c"), StartedBatch)
    form = t.calls[0]["files"]
    assert [(field, name) for field, (name, _, _) in form] == [("files", "a.pdf"), ("files", "b.pptx")]
    assert form[0][1][2] == "application/pdf" and t.calls[0]["data"] == {"collection_name": "c"}
    assert docs.embed(pdfs[:1]).job_id == "j2"
    assert t.calls[1]["files"][0][0] == "file" and t.calls[1]["data"] is None


def test_files_past_the_request_limit_go_presigned(pdfs: list[Path]) -> None:
    opened = {
        "job_id": "j1",
        "status": "queued",
        "is_batch": True,
        "total_files": 2,
        "collection_name": "c",
        "uploads": [
            {
                "name": p.name,
                "size": p.stat().st_size,
                "method": "PUT",
                "url": f"https://s3.test/{p.name}",
                "headers": {"h": "1"},
            }
            for p in pdfs
        ],
        "start_url": "/api/embedding-uploads/j1/start",
    }
    started = {"job_id": "j1", "status": "queued", "total_files": 2, "message": "Batch processing started for 2 files"}
    t = ScriptedTransport(
        {("POST", "/api/embedding-uploads"): opened, ("POST", "/api/embedding-uploads/j1/start"): started}
    )
    result = Documents(t.as_transport(), multipart_limit=100).embed(pdfs, collection="c")
    assert result.job_id == "j1"
    assert t.calls[0]["json"] == {
        "files": [{"name": "a.pdf", "size": 109}, {"name": "b.pptx", "size": 109}],
        "collection_name": "c",
    }
    assert [(url, headers) for url, _, headers in t.puts] == [
        ("https://s3.test/a.pdf", {"h": "1"}),
        ("https://s3.test/b.pptx", {"h": "1"}),
    ]
    assert [c["path"] for c in t.calls] == ["/api/embedding-uploads", "/api/embedding-uploads/j1/start"]


def test_job_status_in_both_shapes_gives_per_file_progress() -> None:
    progress = {"current_step": "generating_embeddings", "percentage": 60.0, "chunks_processed": 3, "total_chunks": 5}
    common = {"collection_name": "c", "created_at": "t", "started_at": "t", "completed_at": None, "error": None}
    batch = {
        "job_id": "j1",
        "status": "processing",
        "is_batch": True,
        "total_files": 2,
        "processed_files": 1,
        "current_file": "b.pdf",
        "current_file_progress": progress,
        "overall_progress": 70.0,
        "files": [
            {"name": "a.pdf", "status": "failed", "chunks": 0, "error": "The document is encrypted"},
            {"name": "b.pdf", "status": "processing", "chunks": 0, "error": None},
        ],
        **common,
    }
    single = {
        "job_id": "j2",
        "status": "processing",
        "file_name": "a.pdf",
        "file_type": "pdf",
        "progress": progress,
        "metadata": None,
        **common,
    }
    t = ScriptedTransport({("GET", "/api/job-status/j1"): batch, ("GET", "/api/job-status/j2"): single})
    docs = Documents(t.as_transport())
    one = docs.status("j1")
    assert isinstance(one, BatchDocumentStatus) and not one.finished
    assert [(f.name, f.status, f.step, f.percentage, f.error) for f in one.files_state()] == [
        ("a.pdf", "failed", "failed", 100.0, "The document is encrypted"),
        ("b.pdf", "processing", "generating_embeddings", 60.0, None),
    ]
    two = docs.status("j2")
    assert isinstance(two, SingleDocumentStatus)
    assert [(f.step, f.percentage) for f in two.files_state()] == [("generating_embeddings", 60.0)]


def test_search_and_collections() -> None:
    hit = {
        "document_name": "a.pdf",
        "file_type": "pdf",
        "page_number": 2,
        "slide_number": None,
        "chunk_index": 0,
        "text": "hello",
        "distance": 0.1,
    }
    t = ScriptedTransport(
        {
            ("POST", "/api/collections/my%20docs/query"): {
                "collection_name": "my docs",
                "query": "hi",
                "results": [hit],
            },
            ("GET", "/api/collections"): {"collections": [{"name": "my docs", "chunks": 4}]},
            ("DELETE", "/api/collections/my%20docs"): {"name": "my docs", "deleted": True},
        }
    )
    docs = Documents(t.as_transport())
    assert [(r.document_name, r.page_number) for r in docs.search("my docs", "hi", n_results=3)] == [("a.pdf", 2)]
    assert t.calls[0]["json"] == {"query": "hi", "n_results": 3}
    assert [(c.name, c.chunks) for c in docs.collections()] == [("my docs", 4)]
    assert docs.delete_collection("my docs").deleted


def detail_answer(status: int, detail: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps({"detail": detail}).encode()
    return response


@pytest.mark.parametrize(
    ("status", "cls", "code"),
    [
        (400, InvalidRequest, "bad_request"),
        (404, NotFoundError, "not_found"),
        (409, ConflictError, "conflict"),
        (413, PayloadTooLarge, "payload_too_large"),
        (500, ServerError, "internal_error"),
    ],
)
def test_the_seeds_detail_errors_raise_the_sdks_exceptions(status: int, cls: type[Exception], code: str) -> None:
    with pytest.raises(cls) as raised:
        _body_of(detail_answer(status, "Minimum 2 files required for batch upload"), "POST /api/start-embedding-batch")
    assert getattr(raised.value, "code") == code
    assert getattr(raised.value, "message") == "Minimum 2 files required for batch upload"
