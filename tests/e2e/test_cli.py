"""The `mediabatch` command line end to end, as a person or a script runs it: a real process
(`bin/mediabatch`, `python -m mediabatch_client`) against the local cloud, its stdout, stderr
and exit status; the live view in a real terminal (tmux: keys sent, the screen read back)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT
from tests.conftest import KEY_A
from tests.support.feed_server import FeedServer, make_audio, rss
from tests.support.media import MediaSet, make_sized_file
from tests.support.media_server import MediaServer
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

MiB = 2**20
SHIM = REPO_ROOT / "bin" / "mediabatch"
# The tests always take the pictures; they replace the ones in docs/ only when asked
# (`make screenshots`), so a test run leaves the checkout as it was.
SCREENS = (
    REPO_ROOT / "docs" / "screenshots"
    if os.environ.get("MEDIABATCH_UPDATE_SCREENSHOTS")
    else Path(tempfile.mkdtemp(prefix="mediabatch-screens-"))
)


def cli_env(cloud: LocalCloud, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIABATCH_")}
    env.update(
        MEDIABATCH_API=cloud.base_url,
        MEDIABATCH_API_KEY=KEY_A,
        MEDIABATCH_STATE=str(tmp_path / "uploads.json"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        **extra,
    )
    return env


def mediabatch(env: dict[str, str], *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediabatch_client", *argv],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def env(cloud: LocalCloud, tmp_path: Path) -> dict[str, str]:
    return cli_env(cloud, tmp_path)


# ------------------------------------------------------------------ batch downloads
def test_download_watch_json_ends_with_the_finished_batch(env: dict[str, str], media_server: MediaServer) -> None:
    done = mediabatch(
        env, "download", media_server.url("/clip.mp4?cli=1"), media_server.url("/clip2.mp4?cli=1"), "--watch", "--json"
    )
    assert done.returncode == 0, done.stderr
    batch = json.loads(done.stdout)
    assert batch["status"] == "completed" and batch["completed_jobs"] == 2
    assert {job["status"] for job in batch["jobs"]} == {"completed"}
    again = mediabatch(env, "batch", "status", batch["batch_id"], "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["batch_id"] == batch["batch_id"]


def test_a_failed_job_is_told_and_exits_1(env: dict[str, str], media_server: MediaServer, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# two videos\n{media_server.url('/clip.mp4?cli=2')}\n\n{media_server.url('/missing.mp4')}\n")
    started = mediabatch(env, "download", "-f", str(urls))
    assert started.returncode == 0, started.stderr
    batch_id, status, jobs = started.stdout.strip().split("\t")
    assert status in ("queued", "running")
    assert batch_id.startswith("batch_") and jobs == "2 job(s)"
    assert f"mediabatch batch watch {batch_id}" in started.stderr
    watched = mediabatch(env, "batch", "watch", batch_id, "--quiet", "--interval", "0.3")
    assert watched.returncode == 1
    assert watched.stdout.startswith(f"batch {batch_id} completed: 1 completed, 1 failed, 0 cancelled of 2")
    assert "missing.mp4: failed:" in watched.stderr


def test_a_batch_is_cancelled(env: dict[str, str], media_root: Path) -> None:
    with MediaServer(media_root, throttle_bps=20_000) as slow:
        started = mediabatch(env, "download", slow.url("/clip2.mp4?cancel=cli"), slow.url("/clip.mp4?cancel=cli"))
        batch_id = started.stdout.split("\t")[0]
        cancelled = mediabatch(env, "batch", "cancel", batch_id, "--json")
        assert cancelled.returncode == 0, cancelled.stderr
        assert json.loads(cancelled.stdout)["batch_id"] == batch_id
        watched = mediabatch(env, "batch", "watch", batch_id, "--quiet", "--interval", "0.3")
    assert watched.returncode == 1  # not every job completed
    assert watched.stdout.startswith(f"batch {batch_id} cancelled: ")


def test_usage_and_api_errors_have_their_exit_status(env: dict[str, str], cloud: LocalCloud) -> None:
    no_scheme = mediabatch(env, "download", "example.com/video.mp4")
    assert no_scheme.returncode == 2
    assert no_scheme.stderr.startswith("error: usage: URL must start with http:// or https://: example.com/video.mp4")
    bad_key = mediabatch({**env, "MEDIABATCH_API_KEY": "not-a-key-0123456789"}, "media", "ls")
    assert (bad_key.returncode, bad_key.stderr.split(":")[0:2]) == (3, ["error", " invalid_api_key"])
    unknown = mediabatch(env, "batch", "status", "batch_nope")
    assert unknown.returncode == 4 and unknown.stderr.startswith("error: batch_not_found: ")
    closed = mediabatch({**env, "MEDIABATCH_API": "http://127.0.0.1:9"}, "media", "ls", "--retries", "0")
    assert closed.returncode == 5 and closed.stderr.startswith("error: connection_error: GET /api/v0/media")
    assert mediabatch(env, "media", "ls", "--limit", "0").returncode == 2


def test_the_config_file_and_the_old_variable_are_read(
    cloud: LocalCloud, tmp_path: Path, media_server: MediaServer
) -> None:
    config = tmp_path / "mb.toml"
    config.write_text(f'api = "{cloud.base_url}"\napi_key = "{KEY_A}"\n')
    env = {k: v for k, v in cli_env(cloud, tmp_path).items() if k not in ("MEDIABATCH_API", "MEDIABATCH_API_KEY")}
    assert mediabatch({**env, "MEDIABATCH_CONFIG": str(config)}, "webhooks", "secret").stdout.startswith("whsec_")
    old = {**env, "MEDIABATCH_API_URL": cloud.base_url, "MEDIABATCH_API_KEY": KEY_A}
    assert mediabatch(old, "webhooks", "secret").stdout.startswith("whsec_")


# ------------------------------------------------------------------ uploads and the catalog
def test_upload_then_list_get_copy_delete_and_audit(env: dict[str, str], tmp_path: Path, media: MediaSet) -> None:
    movie = tmp_path / f"cli-{uuid.uuid4().hex[:6]}.mp4"
    movie.write_bytes(media.clip.read_bytes())
    uploaded = mediabatch(env, "upload", str(movie), "--parallel", "2")
    assert uploaded.returncode == 0, uploaded.stderr
    name, media_field, upload_field, _size = uploaded.stdout.strip().split("\t")
    media_id = media_field.removeprefix("media ")
    assert name == movie.name and upload_field.startswith("upload ")

    listed = json.loads(mediabatch(env, "media", "ls", "--all", "--json").stdout)
    assert media_id in [item["id"] for item in listed["items"]]
    got = json.loads(mediabatch(env, "media", "get", media_id, "--json").stdout)
    assert (got["id"], got["filename"], got["size"]) == (media_id, movie.name, movie.stat().st_size)

    copied = mediabatch(env, "media", "cp", media_id)
    assert copied.returncode == 0, copied.stderr
    source, told = copied.stdout.strip().split("\t")
    copy_id = told.removeprefix("copied to ")
    assert source == media_id and copy_id != media_id

    missing = str(uuid.uuid4())
    removed = mediabatch(env, "media", "rm", copy_id, missing)
    assert removed.returncode == 1  # one of the two was not there
    assert removed.stdout.splitlines() == [f"{copy_id}\tdeleted", f"{missing}\t404: Media not found"]
    assert mediabatch(env, "media", "rm", media_id).stdout == f"{media_id}\tdeleted\n"
    gone = mediabatch(env, "media", "rm", media_id)
    assert gone.returncode == 4 and gone.stderr.startswith("error: media_not_found: ")

    audit = json.loads(mediabatch(env, "audit", "--json", "--limit", "20").stdout)["entries"]
    seen = {(e["action"], e["target"], e["result"]) for e in audit}
    assert {("media.copy", media_id, "success"), ("media.delete", copy_id, "success")} <= seen
    plain = mediabatch(env, "audit", "--action", "media.copy", "--limit", "5").stdout.splitlines()
    assert plain and all("\tmedia.copy\t" in line for line in plain)


def test_webhook_secret_rotates(env: dict[str, str]) -> None:
    before = mediabatch(env, "webhooks", "secret").stdout.strip()
    rotated = mediabatch(env, "webhooks", "secret", "--rotate", "--json")
    after = json.loads(rotated.stdout)["secret"]
    assert before.startswith("whsec_") and after.startswith("whsec_") and after != before
    assert mediabatch(env, "webhooks", "secret").stdout.strip() == after


def test_webhook_subscriptions_are_added_listed_logged_and_removed(
    env: dict[str, str], webhook_receiver: WebhookReceiver
) -> None:
    added = mediabatch(env, "webhooks", "add", webhook_receiver.url, "--events", "batch.*", "file.uploaded", "--json")
    assert added.returncode == 0, added.stderr
    sub = json.loads(added.stdout)
    assert sub["url"] == webhook_receiver.url and sub["events"] == ["batch.*", "file.uploaded"]
    listed = mediabatch(env, "webhooks", "ls").stdout.splitlines()
    assert f"{sub['id']}\t{webhook_receiver.url}\tbatch.*,file.uploaded\t{sub['created_at']}" in listed
    log = mediabatch(env, "webhooks", "deliveries", sub["id"], "--json")
    assert log.returncode == 0 and isinstance(json.loads(log.stdout), list)
    bad = mediabatch(env, "webhooks", "add", webhook_receiver.url, "--events", "nonsense")
    assert bad.returncode == 1 and bad.stderr.startswith("error: invalid_event_type: ")
    assert mediabatch(env, "webhooks", "rm", sub["id"]).stdout == f"deleted {sub['id']}\n"
    assert sub["id"] not in mediabatch(env, "webhooks", "ls").stdout
    gone = mediabatch(env, "webhooks", "redeliver", "dlv_" + "0" * 24)
    assert gone.returncode == 4 and gone.stderr.startswith("error: delivery_not_found: ")


# ------------------------------------------------------------------ shows and history
@pytest.fixture(scope="module")
def podcasts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    with FeedServer({"mp3": make_audio(tmp_path_factory.mktemp("cli-audio"), "mp3")}) as server:
        yield server


def test_a_show_is_watched_to_the_end_failed_episodes_tell_their_code_and_history_lists_it(
    env: dict[str, str], podcasts: FeedServer
) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    episodes = [(f"Episode {i}", podcasts.url(f"/audio/{name}/ep{i}.mp3")) for i in (1, 2)]
    episodes.append(("Episode 3", podcasts.url(f"/audio/{name}/gone.mp3")))
    podcasts.unavailable.add(f"/audio/{name}/gone.mp3")
    podcasts.feeds[f"{name}.rss"] = rss("CLI show", episodes)

    watched = mediabatch(env, "show", podcasts.url(f"/feeds/{name}.rss"), "--folder", name, "--watch", "--quiet")
    assert watched.returncode == 1, watched.stderr  # one episode failed
    summary = watched.stdout.strip()
    batch_id = summary.split()[2]
    assert summary == f"show batch {batch_id} finished: 2 completed, 1 failed of 3"
    failed = [line for line in watched.stderr.splitlines() if line.startswith("Episode 3: failed: ")]
    assert failed and "503" in failed[0]

    as_json = json.loads(mediabatch(env, "show", batch_id, "--watch", "--json").stdout)
    assert as_json["batch"]["folder"] == name and len(as_json["episodes"]) == 3
    broken = as_json["episodes"][2]
    assert broken["status"] == "failed" and "error_code" in broken
    if broken["error_code"]:
        assert f"Episode 3: failed: {broken['error_code']}: " in watched.stderr

    history = json.loads(mediabatch(env, "batch", "ls", "--json", "--limit", "50").stdout)
    mine = [b for b in history if b["batch_id"] == batch_id]
    assert mine and mine[0]["show_url"] == podcasts.url(f"/feeds/{name}.rss") and mine[0]["folder"] == name
    finished = mediabatch(env, "batch", "ls", "--status", "completed", "--limit", "50").stdout.splitlines()
    assert all("\tcompleted\t" in line for line in finished)

    podcasts.unavailable.clear()
    retried = mediabatch(env, "batch", "retry", batch_id, "--json")
    assert retried.returncode == 0, retried.stderr
    again = mediabatch(env, "show", batch_id, "--watch", "--quiet")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"show batch {batch_id} completed: 3 completed, 0 failed of 3"


# ------------------------------------------------------------------ documents
DOCUMENTS = REPO_ROOT.parent / "shared" / "corpus" / "documents"


def test_documents_are_embedded_watched_searched_and_their_collection_removed(env: dict[str, str]) -> None:
    collection = f"cli_{uuid.uuid4().hex[:8]}"
    pdfs = [DOCUMENTS / "multicolumn.pdf", DOCUMENTS / "crazyones-pdfa.pdf"]
    embedded = mediabatch(env, "embed", *map(str, pdfs), "--collection", collection, "--watch", "--json", timeout=300)
    assert embedded.returncode == 0, embedded.stderr
    job = json.loads(embedded.stdout)
    assert job["status"] == "completed" and [f["status"] for f in job["files"]] == ["completed", "completed"]

    found = json.loads(
        mediabatch(
            env, "search", "Two-Column Document with Lorem Ipsum", "--collection", collection, "-n", "3", "--json"
        ).stdout
    )
    assert len(found) <= 3 and found[0]["document_name"] == "multicolumn.pdf"
    plain = mediabatch(env, "search", "crazy ones", "--collection", collection).stdout.splitlines()
    assert plain and plain[0].split("\t")[1] in {"multicolumn.pdf", "crazyones-pdfa.pdf"}

    listed = mediabatch(env, "collections", "ls").stdout.splitlines()
    assert any(line.startswith(f"{collection}\t") for line in listed)
    assert mediabatch(env, "collections", "rm", collection).stdout == f"deleted {collection}\n"
    missing = mediabatch(env, "collections", "rm", collection)
    assert missing.returncode == 4
    assert missing.stderr == f"error: not_found: Collection '{collection}' not found\n"
    too_few = mediabatch(env, "embed", str(pdfs[0]), str(pdfs[0]).replace(".pdf", ".txt"), "--collection", collection)
    assert too_few.returncode == 2 and too_few.stderr.startswith("error: usage: not a file: ")


def test_documents_go_presigned_when_asked_and_a_job_is_read_again(env: dict[str, str]) -> None:
    collection = f"cli_presigned_{uuid.uuid4().hex[:8]}"
    started = mediabatch(
        env, "embed", str(DOCUMENTS / "annotated_pdf.pdf"), "--collection", collection, "--via", "presigned"
    )
    assert started.returncode == 0, started.stderr
    job_id = started.stdout.split("\t")[0]
    assert started.stderr.strip() == f"follow it with: mediabatch embed-status {job_id}"
    deadline = time.monotonic() + 240
    while True:
        status = json.loads(mediabatch(env, "embed-status", job_id, "--json").stdout)
        if status["status"] in ("completed", "partially_completed", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status["job_id"] == job_id and status["status"] == "completed" and status["file_name"] == "annotated_pdf.pdf"
    plain = mediabatch(env, "embed-status", job_id).stdout.splitlines()
    assert plain[0] == "annotated_pdf.pdf\tcompleted\tcompleted\t100%"
    mediabatch(env, "collections", "rm", collection)


def test_open_uploads_are_listed(env: dict[str, str], cloud: LocalCloud) -> None:
    opened = requests.post(
        f"{cloud.base_url}/api/v1/videos/batch/init",
        json={"files": [{"filename": "open.mp4", "size": 1000, "type": "video/mp4"}]},
        headers={"X-API-Key": KEY_A},
        timeout=30,
    )
    assert opened.status_code == 200, opened.text
    upload_id = opened.json()["data"][0]["uploadId"]
    listed = json.loads(mediabatch(env, "uploads", "ls", "--json").stdout)
    assert upload_id in [u["uploadId"] for u in listed]
    assert any(line.startswith(f"{upload_id}\t") for line in mediabatch(env, "uploads", "ls").stdout.splitlines())


def _upload_id_in(state: Path, deadline: float) -> str:
    while time.monotonic() < deadline:
        try:
            entries = json.loads(state.read_text())
        except (OSError, ValueError):
            entries = {}
        if entries:
            return str(next(iter(entries.values())))
        time.sleep(0.1)
    raise AssertionError("the CLI wrote no state file")


def test_an_interrupted_upload_resumes_when_run_again(cloud: LocalCloud, env: dict[str, str], tmp_path: Path) -> None:
    big = make_sized_file(tmp_path / "big.mp4", 300 * MiB, seed=7)  # 19 parts of 16 MiB, about 6 s one at a time
    state = Path(env["MEDIABATCH_STATE"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediabatch_client", "upload", str(big), "--parallel", "1", "--quiet"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        upload_id = _upload_id_in(state, time.monotonic() + 60)
        progress_url = f"{cloud.base_url}/api/v1/videos/batch/progress/{upload_id}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # interrupt once some parts are stored, not all
            data = requests.get(progress_url, headers={"X-API-Key": KEY_A}, timeout=10).json()["data"]
            if data["completedCount"] >= 1:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted; chunks already sent stay in S3" in err and f"mediabatch resume {upload_id}" in err
    assert out == ""
    assert upload_id in state.read_text()

    resumed = mediabatch(env, "upload", str(big), "--json", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    (result,) = json.loads(resumed.stdout)
    assert result["upload_id"] == upload_id and result["resumed"] is True
    assert 0 < result["bytes_sent"] < big.stat().st_size  # only what S3 lacked
    assert result["media"]["size"] == big.stat().st_size
    assert json.loads(state.read_text()) == {}  # done: forgotten


# ------------------------------------------------------------------ the live view in a terminal
class Tmux:
    """A tmux session on its own socket: type into it, read its screen."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.socket = f"mb-{name}-{os.getpid()}"
        self.env = env
        self.tmux("new-session", "-d", "-s", "t", "-x", "140", "-y", "40", "bash --norc --noprofile")

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], env=self.env, capture_output=True, text=True, timeout=20, check=True
        )
        return done.stdout

    def type(self, line: str) -> None:
        self.tmux("send-keys", "-t", "t", line, "Enter")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t", "-S", "-100")

    def wait_for(self, seen: Callable[[str], bool], timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if seen(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"the terminal never showed {what}:\n{screen}")
            time.sleep(0.2)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


@pytest.fixture
def terminal(env: dict[str, str]) -> Iterator[Tmux]:
    assert shutil.which("tmux"), "tmux is missing: `make setup` installs it"
    path = f"{SHIM.parent}:{env.get('PATH', '/usr/bin:/bin')}"  # `mediabatch` is bin/mediabatch
    term = Tmux("cli", {**env, "TERM": "xterm-256color", "MEDIABATCH_PYTHON": sys.executable, "PATH": path})
    try:
        yield term
    finally:
        term.close()


@pytest.fixture
def paced_server(media_root: Path) -> Iterator[MediaServer]:
    """Files sent at 60 KB/s, so a job's progress can be seen between 0 and 100 %."""
    with MediaServer(media_root, throttle_bps=60_000) as server:
        yield server


def exit_line(screen: str) -> str | None:
    """The `EXIT=<status>` line the shell printed (not the typed command that asks for it)."""
    return next((line.strip() for line in screen.splitlines() if re.fullmatch(r"EXIT=\d+", line.strip())), None)


def test_live_view_in_a_terminal_shows_each_job_and_ends_with_the_summary(
    terminal: Tmux, paced_server: MediaServer, media: MediaSet, tmp_path: Path
) -> None:
    names = ("clip.mp4", "clip2.mp4")
    urls = " ".join(shlex.quote(paced_server.url(f"/{n}?tty=1")) for n in names)
    terminal.type(f"mediabatch download {urls} --watch --interval 0.3; echo EXIT=$?")

    def running_with_progress(screen: str) -> bool:
        return "running" in screen and any(f" {p}%" in screen for p in range(1, 100))

    midway = terminal.wait_for(running_with_progress, 60, "a job running part way")
    assert "clip.mp4" in midway and "overall" in midway
    final = terminal.wait_for(lambda s: exit_line(s) is not None, 120, "the end of the command")
    assert exit_line(final) == "EXIT=0", final
    assert all(name in final for name in names)
    assert final.count("100%") >= 2
    summary = next(line for line in final.splitlines() if line.startswith("batch batch_") and ": 2 completed" in line)
    assert summary.endswith("s") and "0 failed, 0 cancelled of 2" in summary
    SCREENS.mkdir(parents=True, exist_ok=True)
    (SCREENS / "cli-download-watch.txt").write_text(final.rstrip() + "\n")

    # An upload: a bar per file and the files done overall.
    movie = tmp_path / "tty-movie.mp4"
    shutil.copyfile(media.clip2, movie)
    terminal.type(f"cd {shlex.quote(str(tmp_path))}; clear; tmux clear-history")
    terminal.type(f"mediabatch upload {movie.name}; echo EXIT=$?")
    uploaded = terminal.wait_for(lambda s: exit_line(s) is not None, 60, "the upload's end")
    assert exit_line(uploaded) == "EXIT=0", uploaded
    assert "tty-movie.mp4 done" in uploaded and "1/1 files" in uploaded and "100.0%" in uploaded
    (SCREENS / "cli-upload.txt").write_text(uploaded.rstrip() + "\n")

    # Ctrl-C stops the watching only; `batch watch` picks the batch up again.
    terminal.type("clear; tmux clear-history")
    terminal.type(f"mediabatch download {shlex.quote(paced_server.url('/clip2.mp4?tty=2'))} --watch")
    terminal.wait_for(lambda s: "running" in s, 60, "the job running")
    terminal.keys("C-c")
    stopped = terminal.wait_for(lambda s: "stopped watching" in s, 20, "the interrupted watch")
    batch_id = stopped.split("mediabatch batch watch ")[1].split()[0]
    terminal.type(f"mediabatch batch watch {batch_id}; echo EXIT=$?")
    again = terminal.wait_for(lambda s: exit_line(s) is not None, 120, "the second watch's end")
    assert f"batch {batch_id} completed: 1 completed" in again and exit_line(again) == "EXIT=0", again
