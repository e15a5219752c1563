"""A 300-episode show (1 s mp3 episodes) through `POST /jobs` at the local show concurrency,
against sequential `yt-dlp` over the same feed and server, in the same run; and how long
reading the 300-episode feed into episodes takes (the expansion inside `POST /jobs`).

No target is set by the issue beyond reporting: the ratio shows what the Distributed Map buys
over one yt-dlp process walking the feed.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from html import escape

import requests

import bench.common as common
from bench.common import (
    API_KEY,
    POLL_INTERVAL_S,
    TENANT,
    YTDLP_CLI,
    BenchError,
    BenchResult,
    MediaServerProcess,
    fmt_runs,
    fmt_s,
    how_many,
    median,
    work_dir,
)
from bench.fingerprint import DOWNLOAD_BATCH

NAME = "shows"
MEASURES = (*DOWNLOAD_BATCH, "statemachines/show_batch.asl.json", "bench/shows.py")
TITLE = "Show batch of 300 episodes vs sequential yt-dlp over the feed"
EPISODES = 300
LOCAL_CONCURRENCY = 10  # ShowConcurrency override (AWS default: 100)


def _feed(urls: list[str]) -> str:
    items = "".join(
        f'<item><title>Episode {i}</title><enclosure url="{escape(u)}" type="audio/mpeg"/></item>'
        for i, u in enumerate(urls)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench show</title>{items}</channel></rss>'


def _cloud() -> object:
    """The process's local cloud, with the show concurrency of this benchmark."""
    if common._cloud is None:
        from localcloud import LocalCloud

        common._cloud = LocalCloud(
            port=0,
            parameter_overrides={
                "UrlAllowlist": "127.0.0.1",
                "LogLevel": "ERROR",
                "ShowConcurrency": str(LOCAL_CONCURRENCY),
            },
            api_keys=f"{TENANT}:{API_KEY}",
            work_dir=work_dir("lambda-tmp"),
        ).start()
    return common._cloud


def _run_show(base_url: str, feed_url: str) -> tuple[float, float]:
    """(seconds until POST /jobs answered, seconds until GET /batch shows it completed)."""
    session = requests.Session()
    session.headers["X-API-Key"] = API_KEY
    started = time.monotonic()
    created = session.post(f"{base_url}/jobs", json={"url": feed_url}, timeout=300)
    answered = time.monotonic() - started
    if created.status_code != 202 or created.json().get("total_episodes") != EPISODES:
        raise BenchError(f"POST /jobs answered {created.status_code}: {created.text[:300]}")
    batch_id = created.json()["batch_id"]
    while True:
        state = session.get(f"{base_url}/batch/{batch_id}", timeout=60).json()
        if state["status"] in ("completed", "finished"):
            break
        if time.monotonic() - started > 900:
            raise BenchError(f"show batch not done after 900 s: {state}")
        time.sleep(POLL_INTERVAL_S)
    if state["status"] != "completed":
        raise BenchError(f"show batch ended {state['status']}: {state['failed_episodes']} failed")
    return answered, time.monotonic() - started


def _ytdlp(out_dir: str, feed_url: str) -> float:
    cmd = [str(YTDLP_CLI), "--ignore-config", "--quiet", "--no-progress", "--no-cache-dir"]
    cmd += ["-P", out_dir, "-o", "%(playlist_index)s.%(ext)s", feed_url]
    started = time.monotonic()
    subprocess.run(cmd, check=True, timeout=900)
    return time.monotonic() - started


def _expansion_times(feed_url: str, repeats: int) -> list[float]:
    from mediabatch.adapters.ytdlp.expander import YtDlpFeedExpander
    from mediabatch.urlguard import UrlPolicy

    expander = YtDlpFeedExpander(UrlPolicy.from_allowlist("127.0.0.1"))
    times = []
    for _ in range(repeats):
        started = time.monotonic()
        expansion = expander.expand(feed_url, timeout_seconds=120)
        times.append(time.monotonic() - started)
        if len(expansion.episodes) != EPISODES:
            raise BenchError(f"expansion found {len(expansion.episodes)} episodes, not {EPISODES}")
    return times


def run(quick: bool = False) -> BenchResult:
    from tests.support.feed_server import make_audio

    root = work_dir("shows-media")
    tone = make_audio(root)
    tone_bytes = tone.stat().st_size
    names = [f"ep{i:03d}.mp3" for i in range(EPISODES)]
    for name in names:
        shutil.copyfile(tone, root / name)
    cloud = _cloud()
    with MediaServerProcess(root) as server:
        (root / "show.rss").write_text(_feed([server.url(n) for n in names]))
        feed_url = server.url("show.rss")
        expansion = _expansion_times(feed_url, 1 if quick else 3)
        answered, show = _run_show(cloud.base_url, feed_url)  # type: ignore[attr-defined]
        out = work_dir("shows-ytdlp")
        baseline = _ytdlp(str(out), feed_url)
        got = len([p for p in out.iterdir() if p.suffix == ".mp3"])
        if got != EPISODES:
            raise BenchError(f"yt-dlp baseline produced {got} files, not {EPISODES}")
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    ratio = baseline / show
    figures = [
        ("Workload", f"{EPISODES} episodes (1 s mp3, {tone_bytes} bytes each) in one RSS feed"),
        (f"Expansion of the feed ({how_many(expansion)})", f"{fmt_s(median(expansion))} (runs: {fmt_runs(expansion)})"),
        ("POST /jobs answered (expansion + 300 jobs created + execution started)", fmt_s(answered)),
        (f"Show batch through the API, ShowConcurrency {LOCAL_CONCURRENCY} (1 run)", fmt_s(show)),
        ("Baseline: `yt-dlp --ignore-config <feed>`, sequential (1 run)", fmt_s(baseline)),
        ("**Speed-up vs baseline** (baseline / show batch)", f"**{ratio:.1f}x**"),
        ("Episodes a minute through the API", f"{60 * EPISODES / show:.0f} (seed: 10-50 on AWS)"),
    ]
    return BenchResult(NAME, TITLE, "report the ratio and the expansion time", True, figures)
