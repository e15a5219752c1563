"""The examples of docs/api.md run against the local cloud, and their shown answers match the real ones
(status codes, error codes, keys recursively; ids, times and URLs masked). How an example is marked:
tests/support/doc_examples.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT
from tests.conftest import KEY_A, Api
from tests.support.doc_examples import (
    Example,
    at,
    differences,
    examples_in,
    printed_documents,
    program_arguments,
    result_lines,
    shown_documents,
    shown_json,
    split_answer,
)
from tests.support.feed_server import FeedServer, make_audio, rss
from tests.support.media import MediaSet
from tests.support.media_server import MediaServer
from tests.support.webhook_receiver import WebhookReceiver

EXAMPLES = examples_in((REPO_ROOT / "docs" / "api.md").read_text())
CURL = 'curl() { command curl --max-time 30 %s "$@"; }\n'


def test_the_docs_mark_an_example_of_every_route_group() -> None:
    names = {e.name for e in EXAMPLES}
    groups = (
        "errors",
        "batch-create",
        "batch-get",
        "batch-cancel",
        "webhook-secret",
        "media-delete",
        "media-copy",
        "media-item-delete",
        "audit",
        "subscription-create",
        "subscription-list",
    )
    assert set(groups) <= names, sorted(set(groups) - names)


def test_a_changed_shown_answer_is_caught() -> None:
    """What keeps the docs from drifting: a renamed key, another code or status, a missing key."""
    example = next(e for e in EXAMPLES if e.name == "media-delete")
    shown = shown_json(split_answer(example.steps[0].shown)[1])
    real = {"results": [{"id": "a", "status": 204}, {"id": "b", "status": 404, "error": "Media not found"}]}
    assert differences(shown, real) == []
    assert differences(shown, {"results": [{"id": "a", "state": 204}]})
    assert differences(shown, {"results": [{"id": "a", "status": 500}]})
    error = shown_json('{"success": false, "error": {"code": "media_not_found", "message": "…"}}')
    assert differences(error, {"success": False, "error": {"code": "batch_not_found", "message": "x"}})
    assert differences(error, {"success": False, "error": {"code": "media_not_found"}})


@pytest.fixture(scope="module")
def known() -> dict[str, str]:
    """Literal ids of the docs → the real ids they stand for, filled as the examples run."""
    return {}


@pytest.fixture(scope="module")
def podcasts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    """The feed of the show examples: two short episodes."""
    with FeedServer({"mp3": make_audio(tmp_path_factory.mktemp("audio"))}) as server:
        episodes = [(f"Episode {i} - Introduction", server.url(f"/audio/ep{i}.mp3")) for i in (1, 2)]
        server.feeds["show.rss"] = rss("Show", episodes)
        yield server


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the scripts run: the files one makes, the next one uses."""
    return tmp_path_factory.mktemp("doc-scripts")


def _run_script(example: Example, env: dict[str, str], cwd: Path) -> None:
    step = example.steps[0]
    result = subprocess.run(
        ["bash", "-c", "set -eo pipefail\n" + CURL % "" + step.command],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{step.command}\n{result.stdout}\n{result.stderr}"
    plain, shown = shown_documents(step.shown)
    printed = printed_documents(result.stdout)
    assert all(line in result.stdout for line in plain), (plain, result.stdout)
    assert len(printed) == len(shown), f"printed {len(printed)} JSON documents, the docs show {len(shown)}"
    problems = [p for i, (s, a) in enumerate(zip(shown, printed, strict=True)) for p in differences(s, a, f"#{i}")]
    assert not problems, "\n".join(problems) + "\n" + result.stdout


def _run_python(example: Example, env: dict[str, str], cwd: Path) -> None:
    code = example.steps[0].command
    code = code.replace('"http://127.0.0.1:18180"', "API").replace('"demo-key-123456"', "KEY")
    prelude = "import os\nAPI, KEY = os.environ['API'], os.environ['KEY']\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code, *program_arguments(example.steps[0].shown)],
        capture_output=True,
        text=True,
        env=env | {"PYTHONPATH": str(REPO_ROOT), "MEDIABATCH_API": env["API"], "MEDIABATCH_API_KEY": env["KEY"]},
        cwd=cwd,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    expected = result_lines(example.steps[0].shown)
    assert expected and result_lines(result.stdout) == expected, result.stdout


@pytest.fixture(scope="module")
def receiver() -> Any:
    with WebhookReceiver() as server:
        yield server


def _uploaded_media(api: Api, media: MediaSet) -> str:
    data = media.clip.read_bytes()
    files = [{"filename": "beach.mp4", "size": len(data), "type": "video/mp4"}]
    init = api.request("POST", "/api/v1/videos/batch/init", json={"channel_id": "holidays", "files": files})
    assert init.status_code == 200, init.text
    upload = init.json()["data"][0]
    put = requests.put(upload["presignedUrls"][0], data=data, headers={"Content-Type": "video/mp4"}, timeout=30)
    assert put.status_code == 200, put.text
    done = api.request("POST", f"/api/v1/videos/batch/complete/{upload['uploadId']}")
    assert done.status_code == 200, done.text
    media_id = str(done.json()["data"]["id"])
    deadline = time.monotonic() + 60
    while api.request("GET", f"/api/v0/media/{media_id}").json()["processing"]["state"] not in ("ready", "failed"):
        assert time.monotonic() < deadline, f"media {media_id} was not processed in 60 s"
        time.sleep(0.3)
    return media_id


def _finished_batch(api: Api, media_server: MediaServer) -> str:
    created = api.create_batch(urls=[media_server.url("/clip.mp4"), media_server.url("/missing.mp4")])
    assert created.status_code == 202, created.text
    return str(api.wait_for(created.json()["batch_id"])["batch_id"])


def _run(command: str, env: dict[str, str], cwd: Path) -> str:
    extra = "" if " -w " in command or " -i " in command else "-w '\\n%{http_code}'"
    result = subprocess.run(
        ["bash", "-c", CURL % extra + command],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    return result.stdout


def _check(shown: str, printed: str, command: str) -> Any:
    shown_status, shown_body = split_answer(shown)
    status, body = split_answer(printed)
    where = f"\n$ {command}\nprinted: {printed[:2000]}"
    if shown_status is not None:
        assert status == shown_status, f"status {status}, the docs show {shown_status}{where}"
    if not shown_body:
        return None
    actual = json.loads(body)
    problems = differences(shown_json(shown_body), actual)
    assert not problems, "\n".join(problems) + where
    return actual


def _value_at(document: Any, path: str) -> Any:
    try:
        return at(document, path)
    except (KeyError, IndexError, TypeError):
        return None


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example(
    example: Example,
    known: dict[str, str],
    cloud: LocalCloud,
    api: Api,
    media: MediaSet,
    media_server: MediaServer,
    receiver: WebhookReceiver,
    podcasts: FeedServer,
    workdir: Path,
    tmp_path: Path,
) -> None:
    makers = {"media": lambda: _uploaded_media(api, media), "batch": lambda: _finished_batch(api, media_server)}
    for literal, kind in example.given.items():
        known[literal] = makers[kind]()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "API": cloud.base_url, "KEY": KEY_A}
    places = {
        "http://127.0.0.1:18000": media_server.url("").rstrip("/"),
        "https://hooks.example.com/mediabatch": receiver.url,
        "https://feeds.example.com/show.rss": podcasts.url("/feeds/show.rss"),
    }
    if example.script or example.python:
        (_run_script if example.script else _run_python)(example, env, workdir)
        return
    for step in example.steps:
        command = step.command
        for literal, real in (places | known).items():
            command = command.replace(literal, real)
        deadline = time.monotonic() + (60 if example.retry else 0)
        while True:
            try:
                actual = _check(step.shown, _run(command, env, workdir), command)
                break
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        for literal, path in example.capture.items():
            value = _value_at(actual, path)
            if literal not in known and value is not None:
                known[literal] = str(value)
