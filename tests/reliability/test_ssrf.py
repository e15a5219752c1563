"""The SSRF corpus against the local cloud, at every place the product fetches: refused when
submitted (batch URLs, feed URLs, batch webhook_url, webhook subscriptions), and unreachable
when an allowed server (127.0.0.1) points at the trap on 127.0.0.3 (a redirect, an HLS
manifest's segments, a feed's enclosures, a webhook receiver's redirect). The trap counts
every request: it must end at 0."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.conftest import TERMINAL, Api
from tests.reliability.figures import record
from tests.support._http_server import BackgroundHTTPServer, QuietHandler
from tests.support.ssrf import REBIND_NAME, TrapServer, corpus

_figures: dict[str, Any] = {}


@pytest.fixture(scope="module")
def trap() -> Iterator[TrapServer]:
    with TrapServer() as server:
        yield server
    _figures["trap_hits"] = len(server.hits)
    _figures["corpus_urls"] = len(corpus())
    record("ssrf", _figures)


class _PointsAtTheTrap(QuietHandler):
    """An allowed server whose answers send the fetcher to `?to=` (a redirect, an HLS manifest,
    a feed)."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        to = parse_qs(parts.query).get("to", [""])[0]
        if parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", to)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path == "/hls.m3u8":
            segments = "".join(f"#EXTINF:1.0,\n{to}seg{i}.ts\n" for i in range(3))
            body = f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n{segments}#EXT-X-ENDLIST\n"
            self.send_bytes(200, body.encode(), "application/vnd.apple.mpegurl")
        elif parts.path == "/feed.rss":
            items = "".join(
                f'<item><title>Episode {i}</title><guid>{to}ep{i}</guid><enclosure url="{to}ep{i}.mp3" '
                'type="audio/mpeg" length="1000"/></item>'
                for i in range(3)
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Trap</title>{items}</channel></rss>'
            self.send_bytes(200, body.encode(), "application/rss+xml")
        else:
            self.send_bytes(404, b"not found\n", "text/plain")

    def do_POST(self) -> None:
        self.do_GET()


@pytest.fixture(scope="module")
def pointer() -> Iterator[BackgroundHTTPServer]:
    server = BackgroundHTTPServer()
    server.handler_class = _PointsAtTheTrap
    with server:
        yield server


def http_urls(trap: TrapServer) -> list[str]:
    return [u for u in corpus(trap.port) if u.startswith("http")]


def wait(api_c: Api, path: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = dict(api_c.request("GET", path).json())
        if state["status"] in TERMINAL | {"finished"}:
            return state
        assert time.monotonic() < deadline, f"{path} not done in {timeout} s: {state}"
        time.sleep(0.3)


SUBMIT = {
    "batch urls": lambda api_c, url, ok: api_c.create_batch(urls=[url]),
    "feed url (POST /jobs)": lambda api_c, url, ok: api_c.request("POST", "/jobs", json={"url": url}),
    "batch webhook_url": lambda api_c, url, ok: api_c.create_batch(urls=[ok], webhook_url=url),
    "webhook subscription": lambda api_c, url, ok: api_c.request(
        "POST", "/api/v0/webhooks", json={"url": url, "events": ["*"]}
    ),
}


@pytest.mark.parametrize("place", list(SUBMIT))
def test_every_hostile_url_is_refused_when_submitted(
    api_c: Api, trap: TrapServer, pointer: BackgroundHTTPServer, place: str
) -> None:
    ok = f"{pointer.base_url}/clip.mp4"
    accepted, checked_at_run = {}, []
    for url in corpus(trap.port):
        response = SUBMIT[place](api_c, url, ok)
        if response.status_code == 202 and place == "batch urls" and url == rebinding_url(trap):
            # Batch creation does not resolve names (a slow DNS would hold the request): the
            # job's connection is checked instead, and must fail.
            checked_at_run.append(response.json()["batch_id"])
        elif response.status_code < 400 or response.status_code >= 500:
            accepted[url] = f"{response.status_code} {response.text[:200]}"
    for batch_id in checked_at_run:
        final = wait(api_c, f"/api/v1/batch/{batch_id}")
        assert final["status"] == "failed" and final["completed_jobs"] == 0, final
    _figures.setdefault("refused_at_submit", {})[place] = len(corpus()) - len(accepted) - len(checked_at_run)
    _figures.setdefault("refused_at_run", {})[place] = len(checked_at_run)
    assert accepted == {}
    assert trap.hits == []


def rebinding_url(trap: TrapServer) -> str:
    return f"http://{REBIND_NAME}:{trap.port}/"


def test_redirects_to_the_trap_are_not_followed(api_c: Api, trap: TrapServer, pointer: BackgroundHTTPServer) -> None:
    urls = [f"{pointer.base_url}/redirect?to={quote(u, safe='')}" for u in http_urls(trap)]
    created = api_c.create_batch(urls=urls[:100], concurrent_limit=10)
    assert created.status_code == 202, created.text
    final = wait(api_c, f"/api/v1/batch/{created.json()['batch_id']}", timeout=180)
    assert final["completed_jobs"] == 0, final
    _figures["redirects"] = len(urls[:100])
    assert trap.hits == []


def test_hls_segments_on_the_trap_are_not_fetched(api_c: Api, trap: TrapServer, pointer: BackgroundHTTPServer) -> None:
    to = quote(f"http://127.0.0.3:{trap.port}/", safe="")
    created = api_c.create_batch(urls=[f"{pointer.base_url}/hls.m3u8?to={to}"])
    assert created.status_code == 202, created.text
    final = wait(api_c, f"/api/v1/batch/{created.json()['batch_id']}")
    assert final["status"] == "failed" and final["completed_jobs"] == 0, final
    _figures["hls_manifests"] = 1
    assert trap.hits == []


def test_feed_enclosures_on_the_trap_are_not_fetched(
    api_c: Api, trap: TrapServer, pointer: BackgroundHTTPServer
) -> None:
    to = quote(f"http://127.0.0.3:{trap.port}/", safe="")
    created = api_c.request("POST", "/jobs", json={"url": f"{pointer.base_url}/feed.rss?to={to}"})
    assert created.status_code in (202, 400, 422), created.text
    if created.status_code == 202:
        wait(api_c, f"/batch/{created.json()['batch_id']}")
    _figures["feed_enclosures"] = 3
    assert trap.hits == []


def test_a_webhook_receiver_that_redirects_to_the_trap_is_not_followed(
    api_c: Api, trap: TrapServer, pointer: BackgroundHTTPServer
) -> None:
    to = quote(f"http://127.0.0.3:{trap.port}/hook", safe="")
    created = api_c.create_batch(
        urls=[f"{pointer.base_url}/nothing.mp4"], webhook_url=f"{pointer.base_url}/redirect?to={to}"
    )
    assert created.status_code == 202, created.text
    wait(api_c, f"/api/v1/batch/{created.json()['batch_id']}")
    time.sleep(3)  # the delivery and its retries (backoff base 1 s in the test cloud)
    _figures["webhook_redirects"] = 1
    assert trap.hits == []
