"""Document batches over HTTP (seed: batch-document-embedding-api.md) with real files from
/work/shared/corpus/documents: uploads, per-file failures, the seed's status shapes and error
bodies, search inside tables, groups, notes and right-to-left text, tenants kept apart,
re-ingesting without duplicates, and the presigned path for files past the 10 MB limit."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import Api

pytestmark = pytest.mark.e2e

CORPUS = Path("/work/shared/corpus/documents")
FINAL = {"completed", "partially_completed", "failed"}
MB = 1024 * 1024


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def files_form(field: str, named: list[tuple[str, bytes]]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [(field, (name, data, "application/octet-stream")) for name, data in named]


def start_batch(api: Api, named: list[tuple[str, bytes]], collection: str | None = None) -> requests.Response:
    data = {"collection_name": collection} if collection else {}
    return api.request("POST", "/api/start-embedding-batch", files=files_form("files", named), data=data)


def start_single(api: Api, name: str, data: bytes, collection: str) -> requests.Response:
    return api.request(
        "POST", "/api/start-embedding", files=files_form("file", [(name, data)]), data={"collection_name": collection}
    )


def wait_job(api: Api, job_id: str, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = api.request("GET", f"/api/job-status/{job_id}")
        assert response.status_code == 200, response.text
        job = dict(response.json())
        if job["status"] in FINAL:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}: {job}"
        time.sleep(0.3)


def search(api: Api, collection: str, query: str, n: int = 5) -> list[dict[str, Any]]:
    response = api.request("POST", f"/api/collections/{collection}/query", json={"query": query, "n_results": n})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


PDF = b"%PDF-1.4 x"


def invalid(name: str) -> str:
    return f"File '{name}' has invalid type. Allowed types: PDF, PPTX"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def mixed_batch(api: Api) -> dict[str, Any]:
    """One batch of good and bad real files (processed once for the tests that read it)."""
    collection = unique("mixed")
    pdf = corpus("minimal-document.pdf")
    named = [
        ("tbl-cell.pptx", corpus("tbl-cell.pptx")),
        ("test_slides.pptx", corpus("test_slides.pptx")),
        ("sld-notes.pptx", corpus("sld-notes.pptx")),
        ("habibi.pdf", corpus("habibi.pdf")),
        ("cht-charts.pptx", corpus("cht-charts.pptx")),
        ("libreoffice-writer-password.pdf", corpus("libreoffice-writer-password.pdf")),
        ("imagemagick-images.pdf", corpus("imagemagick-images.pdf")),
        ("no-slides.pptx", corpus("no-slides.pptx")),
        ("unreadablemetadata.pdf", corpus("unreadablemetadata.pdf")),
        ("truncated.pdf", pdf[: len(pdf) // 2]),
    ]
    response = start_batch(api, named, collection)
    assert response.status_code == 202, response.text
    created = response.json()
    queued = api.request("GET", f"/api/job-status/{created['job_id']}").json()
    return {"collection": collection, "created": created, "first": queued, "final": wait_job(api, created["job_id"])}


def test_a_batch_answers_202_in_the_seed_shape(mixed_batch: dict[str, Any]) -> None:
    created = mixed_batch["created"]
    assert created == {
        "job_id": created["job_id"],
        "status": "queued",
        "total_files": 10,
        "message": "Batch processing started for 10 files",
    }
    first = mixed_batch["first"]
    assert first["is_batch"] is True and first["total_files"] == 10 and first["status"] in ("queued", "processing")
    assert [f["name"] for f in first["files"]][:2] == ["tbl-cell.pptx", "test_slides.pptx"]


def test_bad_files_fail_alone_with_clear_errors(mixed_batch: dict[str, Any]) -> None:
    final = mixed_batch["final"]
    by_name = {f["name"]: f for f in final["files"]}
    good = ["tbl-cell.pptx", "test_slides.pptx", "sld-notes.pptx", "habibi.pdf", "cht-charts.pptx"]
    for name in good:
        assert by_name[name]["status"] == "completed" and by_name[name]["chunks"] >= 1, by_name[name]
        assert by_name[name]["error"] is None
    no_text = "No text could be extracted from the document"
    assert by_name["imagemagick-images.pdf"]["error"] == no_text
    assert by_name["no-slides.pptx"]["error"] == no_text
    assert by_name["libreoffice-writer-password.pdf"]["error"] == "The document is encrypted"
    assert by_name["unreadablemetadata.pdf"]["error"].startswith("The document is corrupt or truncated")
    assert by_name["truncated.pdf"]["error"].startswith("The document is corrupt or truncated")
    assert all(by_name[n]["status"] == "failed" and by_name[n]["chunks"] == 0 for n in by_name if n not in good)
    assert final["status"] == "partially_completed" and final["error"] is None
    assert final["processed_files"] == 10 and final["overall_progress"] == 100.0 and final["current_file"] is None
    meta = final["metadata"]
    assert meta["successful_files"] == 5 and meta["failed_files"] == 5
    assert meta["total_chunks"] == sum(by_name[n]["chunks"] for n in good)
    assert meta["total_text_length"] > 0 and meta["processing_time_seconds"] >= 0
    assert final["started_at"] and final["completed_at"] and final["created_at"] <= final["completed_at"]


@pytest.mark.parametrize(
    ("query", "document", "page"),
    [
        ("vert anchor is top", "tbl-cell.pptx", None),  # text inside a table
        ("Group test text", "test_slides.pptx", 1),  # text inside grouped shapes
        ("Notes", "sld-notes.pptx", 1),  # speaker notes
        ("حَبيبي habibi", "habibi.pdf", 1),  # right-to-left text
        ("Category 1 Series 1", "cht-charts.pptx", 1),  # chart categories and series
    ],
)
def test_search_finds_text_wherever_the_deck_keeps_it(
    api: Api, mixed_batch: dict[str, Any], query: str, document: str, page: int | None
) -> None:
    results = search(api, mixed_batch["collection"], query, n=3)
    top = results[0]
    assert top["document_name"] == document, results
    assert set(top) == {"document_name", "file_type", "page_number", "slide_number", "chunk_index", "text", "distance"}
    if page is not None:
        assert top["page_number"] == page
    assert [r["distance"] for r in results] == sorted(r["distance"] for r in results)


def test_documents_are_media_items_that_know_their_chunks(api: Api, mixed_batch: dict[str, Any]) -> None:
    folder = f"documents/{mixed_batch['collection']}"
    items = api.request("GET", "/api/v0/media", params={"folder": folder, "limit": "50"}).json()["items"]
    assert sorted(i["filename"] for i in items) == sorted(
        ["tbl-cell.pptx", "test_slides.pptx", "sld-notes.pptx", "habibi.pdf", "cht-charts.pptx"]
    )
    item = next(i for i in items if i["filename"] == "habibi.pdf")
    assert item["type"] == "document"
    meta = item["metadata"]
    assert meta["collection_name"] == mixed_batch["collection"] and meta["chunks"] >= 1
    assert meta["chunk_id_prefix"] == meta["document_key"] + "-" and meta["vector_collection"].endswith(
        mixed_batch["collection"]
    )


def test_the_thesis_as_a_single_file_job(api: Api) -> None:
    collection = unique("thesis")
    response = start_single(api, "GeoTopo-komprimiert.pdf", corpus("GeoTopo-komprimiert.pdf"), collection)
    assert response.status_code == 202, response.text
    assert response.json() == {
        "job_id": response.json()["job_id"],
        "status": "queued",
        "message": "Job created successfully. Use job_id to check status.",
    }
    job = wait_job(api, response.json()["job_id"])
    assert set(job) == {
        "job_id", "status", "file_name", "file_type", "collection_name", "created_at", "started_at",
        "completed_at", "progress", "metadata", "error",
    }  # fmt: skip
    assert job["status"] == "completed" and job["file_name"] == "GeoTopo-komprimiert.pdf" and job["file_type"] == "pdf"
    assert job["progress"]["percentage"] == 100.0 and job["progress"]["total_chunks"] >= 117
    assert job["progress"]["chunks_processed"] == job["progress"]["total_chunks"]
    assert job["metadata"]["total_chunks"] == job["progress"]["total_chunks"]
    results = search(api, collection, "Fundamentalgruppe und Überlagerungen", n=5)
    assert results[0]["document_name"] == "GeoTopo-komprimiert.pdf"
    assert {r["page_number"] for r in results} - {1}, "hits come from the thesis' own pages"
    assert all(1 <= r["page_number"] <= 117 and r["slide_number"] is None for r in results)


def test_reingesting_replaces_the_chunks_of_a_document(api: Api) -> None:
    collection = unique("again")
    named = [("crazyones-pdfa.pdf", corpus("crazyones-pdfa.pdf")), ("txt-text.pptx", corpus("txt-text.pptx"))]
    counts = []
    for _ in range(2):
        job = wait_job(api, start_batch(api, named, collection).json()["job_id"])
        assert job["status"] == "completed", job
        (found,) = [c for c in api.request("GET", "/api/collections").json()["collections"] if c["name"] == collection]
        counts.append(found["chunks"])
    assert counts[0] == counts[1] == job["metadata"]["total_chunks"]


@pytest.mark.parametrize(
    ("named", "detail"),
    [
        ([("a.pdf", PDF)], "Minimum 2 files required for batch upload"),
        ([(f"f{i}.pdf", PDF) for i in range(11)], "Maximum 10 files allowed per batch"),
        ([("a.pdf", PDF), ("document.txt", b"hello")], invalid("document.txt")),
        ([("a.pdf", PDF), ("fake.pdf", b"not a pdf at all")], invalid("fake.pdf")),
        ([("a.pdf", PDF), ("zip.pptx", b"PK\x03\x04 not a deck")], invalid("zip.pptx")),
    ],
)  # fmt: skip
def test_multipart_validation_answers_the_seeds_detail(api: Api, named: list[tuple[str, bytes]], detail: str) -> None:
    response = start_batch(api, named)
    assert response.status_code == 400 and response.json() == {"detail": detail}


@pytest.mark.parametrize(
    ("sizes", "detail"),
    [
        ([51 * MB], "File 'f0.pptx' exceeds 50MB limit"),
        ([45 * MB] * 5, "Total batch size (225.0MB) exceeds 200MB limit"),
        ([1] * 11, "Maximum 10 files allowed per batch"),
    ],
)
def test_size_limits_answer_the_seeds_detail(api: Api, sizes: list[int], detail: str) -> None:
    body = {"files": [{"name": f"f{i}.pptx", "size": s} for i, s in enumerate(sizes)]}
    response = api.request("POST", "/api/embedding-uploads", json=body)
    assert response.status_code == 400 and response.json() == {"detail": detail}


def test_another_tenants_job_answers_like_a_missing_one(api: Api, api_b: Api, mixed_batch: dict[str, Any]) -> None:
    job_id = mixed_batch["created"]["job_id"]
    theirs = api_b.request("GET", f"/api/job-status/{job_id}")
    missing = api_b.request("GET", f"/api/job-status/{uuid.uuid4()}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"detail": "Job not found"}
    assert api_b.request("GET", "/api/job-status/not-a-uuid").json() == {"detail": "Job not found"}
    # Collections are the tenant's own too.
    names = [c["name"] for c in api_b.request("GET", "/api/collections").json()["collections"]]
    assert mixed_batch["collection"] not in names
    query = {"query": "habibi", "n_results": 1}
    other = api_b.request("POST", f"/api/collections/{mixed_batch['collection']}/query", json=query)
    assert other.status_code == 404 and other.json() == {
        "detail": f"Collection '{mixed_batch['collection']}' not found"
    }


def test_presigned_path_for_files_past_the_request_limit(api: Api) -> None:
    collection = unique("presigned")
    named = [("multicolumn.pdf", corpus("multicolumn.pdf")), ("txt-text.pptx", corpus("txt-text.pptx"))]
    body = {"collection_name": collection, "files": [{"name": n, "size": len(d)} for n, d in named]}
    opened = api.request("POST", "/api/embedding-uploads", json=body)
    assert opened.status_code == 201, opened.text
    job = opened.json()
    assert job["is_batch"] is True and job["total_files"] == 2 and job["collection_name"] == collection
    early = api.request("POST", job["start_url"])
    assert early.status_code == 400 and early.json() == {"detail": "File 'multicolumn.pdf' has not been uploaded"}
    for upload, (_, data) in zip(job["uploads"], named, strict=True):
        put = requests.put(upload["url"], data=data, headers=upload["headers"], timeout=30)
        assert put.status_code == 200, put.text
    started = api.request("POST", job["start_url"])
    assert started.status_code == 202 and started.json() == {
        "job_id": job["job_id"],
        "status": "queued",
        "total_files": 2,
        "message": "Batch processing started for 2 files",
    }
    final = wait_job(api, job["job_id"])
    assert final["status"] == "completed", final
    assert search(api, collection, "Two-Column Document with Lorem Ipsum")[0]["document_name"] == "multicolumn.pdf"


def test_collections_are_listed_and_deleted(api: Api) -> None:
    collection = unique("deleteme")
    named = [("crazyones-pdfa.pdf", corpus("crazyones-pdfa.pdf")), ("annotated_pdf.pdf", corpus("annotated_pdf.pdf"))]
    assert wait_job(api, start_batch(api, named, collection).json()["job_id"])["status"] == "completed"
    assert collection in [c["name"] for c in api.request("GET", "/api/collections").json()["collections"]]
    deleted = api.request("DELETE", f"/api/collections/{collection}")
    assert deleted.status_code == 200 and deleted.json() == {"name": collection, "deleted": True}
    again = api.request("DELETE", f"/api/collections/{collection}")
    assert again.status_code == 404 and again.json() == {"detail": f"Collection '{collection}' not found"}


def test_default_collection_name_is_a_timestamp(api: Api) -> None:
    named = [("annotated_pdf.pdf", corpus("annotated_pdf.pdf")), ("crazyones-pdfa.pdf", corpus("crazyones-pdfa.pdf"))]
    job = wait_job(api, start_batch(api, named).json()["job_id"])
    assert job["collection_name"].startswith("batch_2") and len(job["collection_name"]) == len("batch_20251109_103000")


def test_a_retried_create_with_an_idempotency_key_makes_one_job_and_bearer_keys_work(api: Api) -> None:
    named = [("annotated_pdf.pdf", corpus("annotated_pdf.pdf")), ("habibi.pdf", corpus("habibi.pdf"))]
    bearer = {"Authorization": "Bearer " + str(api.session.headers["X-API-Key"]), "Idempotency-Key": unique("key")}
    url = api.base_url + "/api/start-embedding-batch"
    form = {"collection_name": unique("idem")}
    first, again = (
        requests.post(url, files=files_form("files", named), data=form, headers=bearer, timeout=30) for _ in range(2)
    )
    assert first.status_code == again.status_code == 202, first.text
    assert first.json() == again.json()
    status = requests.get(api.base_url + f"/api/job-status/{first.json()['job_id']}", headers=bearer, timeout=30)
    assert status.status_code == 200 and status.json()["is_batch"] is True
    assert requests.get(api.base_url + "/api/collections", timeout=30).status_code == 401
