"""Structured logs carry the keys of the invocation that wrote them, and of no other: two
functions invoked one after the other in the same process (as the local cloud runs them, and
as one Lambda execution environment runs invocations) never lend each other their keys."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from mediabatch import container
from mediabatch.downloads.job_runner import JobRun

pytestmark = pytest.mark.integration
SERVICE = "mediabatch"  # POWERTOOLS_SERVICE_NAME of every function (template.yaml)


LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines(cloud: LocalCloud) -> Iterator[LogLines]:
    """Every JSON line the functions' Powertools logger has written so far in the test."""
    cloud.function("RunDownloadJobFunction").load()  # its Logger sets up the service logger
    service_logger = logging.getLogger(SERVICE)
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(service_logger.handlers[0].formatter)
    service_logger.addHandler(capture)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    finally:
        service_logger.removeHandler(capture)


class _LoggingRunner:
    def run(self, tenant_id: str, batch_id: str, job_id: str, remaining_seconds: Any) -> JobRun:
        logging.getLogger(SERVICE).info("job ran")
        return JobRun(job_id, "completed")


class _LoggingProcessor:
    def thumbnail(self, tenant_id: str, media_id: str) -> str:
        logging.getLogger(SERVICE).info("thumbnail made")
        return "thumbnail.jpg"


def test_a_second_invocation_logs_none_of_the_first_ones_keys(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch, log_lines: LogLines
) -> None:
    monkeypatch.setattr(container, "download_job_runner", _LoggingRunner)
    monkeypatch.setattr(container, "media_processor", _LoggingProcessor)
    processing = cloud.function("MediaProcessingFunction")
    download = cloud.function("RunDownloadJobFunction")

    # In this process (the domain is replaced here), whether or not the cloud runs workers.
    processing.invoke_here({"step": "thumbnail", "tenant_id": "t-logs", "media_id": "m-1"})
    download.invoke_here({"tenant_id": "t-logs", "batch_id": "b-1", "job_id": "job_b-1_0"})
    download.invoke_here({"tenant_id": "t-logs", "batch_id": "b-2", "job_id": "job_b-2_0"})
    logging.getLogger(SERVICE).info("between invocations")
    monkeypatch.undo()

    by_message = {}
    for line in log_lines():
        by_message.setdefault(line["message"], []).append(line)
    (thumbnail,) = by_message["thumbnail made"]
    first_job, second_job = by_message["job ran"]
    (outside,) = by_message["between invocations"]
    assert (thumbnail["media_id"], thumbnail["step"]) == ("m-1", "thumbnail")
    assert first_job["job_id"] == "job_b-1_0" and "media_id" not in first_job and "step" not in first_job
    assert (second_job["job_id"], second_job["batch_id"]) == ("job_b-2_0", "b-2")
    assert second_job["function_request_id"] != first_job["function_request_id"]
    assert not {"media_id", "step", "job_id", "batch_id"} & set(outside)
