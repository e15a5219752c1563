"""The batch download request as the API validates it: limits, defaults, enums, unknown fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from mediabatch.downloads.events import batch_event_detail
from mediabatch.downloads.models import MAX_URLS, BatchDownloadRequest, BatchOptions, BatchRecord, BatchStatus
from mediabatch.paths import DEFAULT_PATH_TEMPLATE


def urls(n: int) -> list[str]:
    return [f"https://media.example/v{i}.mp4" for i in range(n)]


def rejected(**body: Any) -> list[tuple[Any, ...]]:
    with pytest.raises(ValidationError) as raised:
        BatchDownloadRequest.model_validate(body)
    return [tuple(e["loc"]) for e in raised.value.errors()]


def test_defaults() -> None:
    request = BatchDownloadRequest.model_validate({"urls": urls(1)})

    assert request.concurrent_limit == 3
    assert (request.quality, request.video_format) == ("best", "mp4")
    assert (request.download_subtitles, request.stop_on_error, request.ignore_errors) == (False, False, True)
    assert request.path_template == DEFAULT_PATH_TEMPLATE
    assert request.webhook_url is None


@pytest.mark.parametrize("n", [1, 2, MAX_URLS])
def test_one_to_a_hundred_urls_are_accepted(n: int) -> None:
    assert len(BatchDownloadRequest.model_validate({"urls": urls(n)}).urls) == n


@pytest.mark.parametrize("n", [0, MAX_URLS + 1, 1000])
def test_no_urls_or_more_than_a_hundred_are_rejected(n: int) -> None:
    assert MAX_URLS == 100
    assert rejected(urls=urls(n)) == [("urls",)]


def test_urls_are_required_and_must_be_a_list_of_strings() -> None:
    assert rejected() == [("urls",)]
    assert rejected(urls="https://media.example/v.mp4") == [("urls",)]
    assert rejected(urls=[1]) == [("urls", 0)]


def test_urls_are_stripped() -> None:
    request = BatchDownloadRequest.model_validate({"urls": ["  https://media.example/a.mp4\n"]})

    assert request.urls == ["https://media.example/a.mp4"]


@pytest.mark.parametrize("limit", [1, 5, 10])
def test_concurrent_limit_within_1_to_10_is_accepted(limit: int) -> None:
    assert BatchDownloadRequest.model_validate({"urls": urls(1), "concurrent_limit": limit}).concurrent_limit == limit


@pytest.mark.parametrize("limit", [0, 11, -1, 100, "many", None, 2.5])
def test_concurrent_limit_outside_1_to_10_is_rejected(limit: Any) -> None:
    assert rejected(urls=urls(1), concurrent_limit=limit) == [("concurrent_limit",)]


@pytest.mark.parametrize("field", ["url", "callback", "format", "concurrency", "priority"])
def test_unknown_fields_are_rejected(field: str) -> None:
    assert rejected(urls=urls(1), **{field: "x"}) == [(field,)]


@pytest.mark.parametrize(
    "quality", ["best", "worst", "2160p", "1440p", "1080p", "720p", "480p", "360p", "240p", "144p", "audio"]
)
def test_every_documented_quality_is_accepted(quality: str) -> None:
    assert BatchDownloadRequest.model_validate({"urls": urls(1), "quality": quality}).quality == quality


@pytest.mark.parametrize("quality", ["1080", "4k", "BEST", "high", "", "720P"])
def test_other_qualities_are_rejected(quality: str) -> None:
    assert rejected(urls=urls(1), quality=quality) == [("quality",)]


@pytest.mark.parametrize("video_format", ["mp4", "webm", "mkv", "mov"])
def test_every_documented_video_format_is_accepted(video_format: str) -> None:
    request = BatchDownloadRequest.model_validate({"urls": urls(1), "video_format": video_format})

    assert request.video_format == video_format


@pytest.mark.parametrize("video_format", ["MP4", "avi", "flv", "", "mp3", ".mp4"])
def test_other_video_formats_are_rejected(video_format: str) -> None:
    assert rejected(urls=urls(1), video_format=video_format) == [("video_format",)]


def test_options_are_the_request_without_its_urls() -> None:
    request = BatchDownloadRequest.model_validate(
        {
            "urls": urls(2),
            "quality": "720p",
            "concurrent_limit": 9,
            "stop_on_error": True,
            "webhook_url": "https://hooks.example/x",
        }
    )

    options = request.options()

    assert isinstance(options, BatchOptions) and not hasattr(options, "urls")
    assert (options.quality, options.concurrent_limit, options.stop_on_error, options.webhook_url) == (
        "720p",
        9,
        True,
        "https://hooks.example/x",
    )


def test_stored_options_reject_unknown_fields_too() -> None:
    with pytest.raises(ValidationError):
        BatchOptions.model_validate({"urls": urls(1)})


def test_only_completed_failed_and_cancelled_are_terminal() -> None:
    assert {s for s in BatchStatus if s.is_terminal} == {
        BatchStatus.COMPLETED,
        BatchStatus.FAILED,
        BatchStatus.CANCELLED,
    }


def test_a_batch_event_reports_every_counter_and_no_webhook_url() -> None:
    batch = BatchRecord(
        tenant_id="t",
        batch_id="batch_1",
        options=BatchOptions.model_validate({"webhook_url": "https://hooks.example/secret-token"}),
        total_jobs=10,
        queued_jobs=1,
        running_jobs=2,
        completed_jobs=3,
        failed_jobs=3,
        cancelled_jobs=1,
        created_at="2024-01-01T00:00:00Z",
    )

    assert batch.finished_jobs == 7
    detail = batch_event_detail(batch)
    assert {k: detail[k] for k in detail if k.endswith("_jobs") or k in ("batch_id", "status", "tenant_id")} == {
        "batch_id": "batch_1",
        "tenant_id": "t",
        "status": "queued",
        "total_jobs": 10,
        "completed_jobs": 3,
        "failed_jobs": 3,
        "running_jobs": 2,
        "queued_jobs": 1,
        "cancelled_jobs": 1,
    }
    assert "webhook_url" not in str(detail) and "secret-token" not in str(detail)
    assert set(detail) - {"created_at", "started_at", "completed_at", "duration_sec", "error"} == {
        "batch_id",
        "tenant_id",
        "status",
        "total_jobs",
        "completed_jobs",
        "failed_jobs",
        "running_jobs",
        "queued_jobs",
        "cancelled_jobs",
    }
