"""The runnable examples of docs/examples/ run as a reader would run them, against the local
cloud: each must finish with status 0 and print what its docstring promises."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT
from tests.conftest import KEY_A
from tests.support.feed_server import FeedServer, make_audio, rss
from tests.support.media import MediaSet
from tests.support.media_server import MediaServer
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

EXAMPLES = REPO_ROOT / "docs" / "examples"


@pytest.fixture
def env(cloud: LocalCloud, tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEDIABATCH_")}
    return {
        **environ,
        "MEDIABATCH_API": cloud.base_url,
        "MEDIABATCH_API_KEY": KEY_A,
        "MEDIABATCH_STATE": str(tmp_path / "uploads.json"),
        "MEDIABATCH_PYTHON": sys.executable,
        "PYTHONPATH": str(REPO_ROOT),
    }


def run(env: dict[str, str], *argv: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(argv), cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def movie(tmp_path: Path, media: MediaSet) -> Path:
    path = tmp_path / f"example-{uuid.uuid4().hex[:6]}.mp4"
    shutil.copyfile(media.clip, path)
    return path


def test_download_with_curl(env: dict[str, str], media_server: MediaServer) -> None:
    out = run(env, "bash", str(EXAMPLES / "download.sh"), media_server.url("/clip.mp4?ex=sh")).stdout
    assert out.splitlines()[-1].endswith(" completed") and "completed\t100" in out


def test_download_with_the_sdk(env: dict[str, str], media_server: MediaServer) -> None:
    out = run(env, sys.executable, str(EXAMPLES / "download.py"), media_server.url("/clip2.mp4?ex=py")).stdout
    assert out.startswith("batch batch_") and "completed\tclip2\t" in out


def test_upload_then_media_with_the_sdk(env: dict[str, str], movie: Path) -> None:
    out = run(env, sys.executable, str(EXAMPLES / "upload.py"), str(movie)).stdout
    assert out.startswith(f"{movie.name}\tmedia ") and out.rstrip().endswith("new")
    out = run(env, sys.executable, str(EXAMPLES / "media.py")).stdout
    assert "copied " in out and "gone: media_not_found" in out and "audit: " in out


def test_the_command_line_script(env: dict[str, str], movie: Path, media_server: MediaServer) -> None:
    out = run(env, "bash", str(EXAMPLES / "cli.sh"), str(movie), media_server.url("/clip.mp4?ex=cli")).stdout
    assert f"{movie.name}\tmedia " in out and "completed: 1 completed" in out and "whsec_" in out


def test_a_show_with_the_sdk(env: dict[str, str], tmp_path: Path) -> None:
    with FeedServer({"mp3": make_audio(tmp_path, "mp3")}) as podcasts:
        episodes = [("Example 1", podcasts.url("/audio/ex/1.mp3")), ("Example 2", podcasts.url("/audio/ex/gone.mp3"))]
        podcasts.unavailable.add("/audio/ex/gone.mp3")
        podcasts.feeds["ex.rss"] = rss("Example show", episodes)

        def back_soon(line: str) -> None:  # the host comes back once the first round ended
            if line.startswith("failed\t"):
                podcasts.unavailable.clear()

        done = subprocess.Popen(
            [sys.executable, str(EXAMPLES / "show.py"), podcasts.url("/feeds/ex.rss"), "example-show"],
            cwd=REPO_ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},  # each line as printed: the host comes back in time
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert done.stdout is not None
        lines = []
        for line in done.stdout:
            back_soon(line)
            lines.append(line.rstrip("\n"))
        assert done.wait(timeout=300) == 0, (lines, done.stderr.read() if done.stderr else "")
    assert lines[0].startswith("show batch batch_") and lines[0].endswith(": 2 episode(s)")
    assert "completed\tExample 1\tbatch/example-show/Example_1.mp3" in lines
    assert any(line.startswith("failed\tExample 2\t") for line in lines)
    assert "retrying 1 episode(s)" in lines and lines[-1].endswith(" completed"), lines


def test_documents_with_the_sdk(env: dict[str, str]) -> None:
    corpus = REPO_ROOT.parent / "shared" / "corpus" / "documents"
    collection = f"example_{uuid.uuid4().hex[:8]}"
    out = run(
        env,
        sys.executable,
        str(EXAMPLES / "documents.py"),
        collection,
        "Two-Column Document with Lorem Ipsum",
        str(corpus / "multicolumn.pdf"),
        str(corpus / "crazyones-pdfa.pdf"),
        timeout=300,
    ).stdout.splitlines()
    assert out[0].startswith("job ") and out[0].endswith(" queued")
    assert "completed\tmulticolumn.pdf" in out and "completed\tcrazyones-pdfa.pdf" in out
    hits = [line for line in out if line.startswith("hit\t")]
    assert hits and hits[0].split("\t")[2] == "multicolumn.pdf"
    assert out[-1] == f"deleted: not_found: Collection '{collection}' not found"


def test_subscriptions_with_the_sdk(env: dict[str, str], webhook_receiver: WebhookReceiver) -> None:
    out = run(env, sys.executable, str(EXAMPLES / "subscriptions.py"), webhook_receiver.url).stdout.splitlines()
    sub_id = out[0].split()[1]
    assert out[0] == f"subscribed {sub_id} to batch.*,file.uploaded"
    assert f"subscription\t{sub_id}\t{webhook_receiver.url}" in out and out[-1] == f"unsubscribed {sub_id}"


def test_history_with_the_sdk(env: dict[str, str], media_server: MediaServer) -> None:
    run(env, "bash", str(EXAMPLES / "download.sh"), media_server.url("/clip.mp4?ex=history"))
    out = run(env, sys.executable, str(EXAMPLES / "history.py"), "--retry-failed").stdout.splitlines()
    assert out[0].startswith("batch_") and any(line.endswith(" batch(es)") for line in out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_webhook_receiver_verifies_deliveries(
    env: dict[str, str], cloud: LocalCloud, media_server: MediaServer
) -> None:
    port = free_port()
    receiver = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "webhook_receiver.py"), str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:  # up once it answers
            try:
                forged = requests.post(url, data=b"{}", headers={"webhook-id": "x"}, timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the receiver did not start"
                time.sleep(0.2)
        assert forged.status_code == 400
        created = requests.post(
            f"{cloud.base_url}/api/v1/batch/download",
            json={"urls": [media_server.url("/clip.mp4?ex=hook")], "webhook_url": url},
            headers={"X-API-Key": KEY_A},
            timeout=30,
        )
        assert created.status_code == 202, created.text
        lines: list[str] = []
        deadline = time.monotonic() + 90
        assert receiver.stdout is not None
        while not any(line.startswith("batch.completed:") for line in lines):
            assert time.monotonic() < deadline, lines
            lines.append(receiver.stdout.readline().strip())
        assert lines[0].startswith("refused: missing webhook-timestamp")
    finally:
        receiver.kill()
        receiver.wait(timeout=10)
