"""The commands of the newer kinds (show, batch ls, embed, webhooks) with the SDK's transport
scripted: what they print, and their exit statuses."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import mediabatch_client.cli as cli
from mediabatch_client.sdk import MediaBatch
from tests.unit.client.test_sdk_resources import ScriptedTransport, batch_entry, episode, show


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str], Any]:
    """The answers of the API by (method, path); every MediaBatch the CLI makes uses them."""
    answers: dict[tuple[str, str], Any] = {}
    real_init = MediaBatch.__init__

    def scripted(self: MediaBatch, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        t = ScriptedTransport(answers).as_transport()
        for resource in (self.batches, self.shows, self.documents, self.webhooks):
            resource._t = t
        self.uploads._t = t

    monkeypatch.setattr(MediaBatch, "__init__", scripted)
    return answers


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([*argv, "--api", "http://api.test", "--key", "k", "--quiet"], out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_watched_show_with_a_failed_episode_tells_its_code_and_exits_1(script: dict[Any, Any]) -> None:
    created = {"batch_id": "batch_1", "total_episodes": 2, "episode_jobs": ["job_batch_1_0", "job_batch_1_1"]}
    script[("POST", "/jobs")] = created
    script[("GET", "/batch/batch_1")] = show("finished", 1, 1)
    script[("GET", "/jobs/job_batch_1_0")] = episode("job_batch_1_0", title="Ep 1")
    script[("GET", "/jobs/job_batch_1_1")] = episode(
        "job_batch_1_1", "failed", title="Ep 2", error="HTTP 503", error_code="source_unavailable"
    )
    code, out, err = run("show", "https://feeds.test/show.rss", "--watch", "--interval", "0")
    assert code == 1
    assert out == "show batch batch_1 finished: 1 completed, 1 failed of 2\n"
    assert "Ep 2: failed: source_unavailable: HTTP 503\n" in err


def test_a_bad_show_url_is_a_usage_error(script: dict[Any, Any]) -> None:
    code, _, err = run("show", "feeds.test/show.rss")
    assert code == 2 and err.startswith("error: usage: URL must start with http:// or https://")


def test_batch_ls_prints_a_line_per_batch_across_pages(script: dict[Any, Any]) -> None:
    pages = {
        None: {"batches": [batch_entry("b1")], "next_cursor": "c"},
        "c": {"batches": [batch_entry("b2")], "next_cursor": None},
    }
    script[("GET", "/api/v1/batch")] = lambda call: pages[call["params"]["cursor"]]
    code, out, _ = run("batch", "ls")
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["b1", "b2"]
    code, out, _ = run("batch", "ls", "--limit", "1", "--json")
    assert [b["batch_id"] for b in json.loads(out)] == ["b1"]


def test_embed_of_a_missing_file_is_a_usage_error_and_nothing_is_sent(script: dict[Any, Any], tmp_path: Path) -> None:
    code, _, err = run("embed", str(tmp_path / "nope.pdf"), "--collection", "c")
    assert code == 2 and err == f"error: usage: not a file: {tmp_path / 'nope.pdf'}\n"


def test_a_missing_collection_exits_4_with_the_seeds_detail(script: dict[Any, Any]) -> None:
    from mediabatch_client.errors import error_for

    def missing(_: Any) -> Any:
        raise error_for("not_found", "Collection 'x' not found", 404)

    script[("DELETE", "/api/collections/x")] = missing
    code, _, err = run("collections", "rm", "x")
    assert code == 4 and err == "error: not_found: Collection 'x' not found\n"


def test_webhooks_add_splits_events_and_prints_the_id(script: dict[Any, Any]) -> None:
    sent: list[Any] = []

    def subscribe(call: dict[str, Any]) -> Any:
        sent.append(call["json"])
        return {"id": "whs_1", "url": call["json"]["url"], "events": call["json"]["events"], "created_at": "t"}

    script[("POST", "/api/v0/webhooks")] = subscribe
    code, out, _ = run("webhooks", "add", "https://hooks.test/x", "--events", "batch.*,job.failed", "file.uploaded")
    assert code == 0 and out == "whs_1\n"
    assert sent == [{"url": "https://hooks.test/x", "events": ["batch.*", "job.failed", "file.uploaded"]}]
