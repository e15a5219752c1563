"""The browser page end to end in headless Chromium (Debian's `chromium`, driven by Playwright):
served by the local cloud at `/`, a person pastes a key, uploads videos (one over 150 MiB, in
parts, with one part refused once and retried; another resumed after a reload), starts a batch
download and watches it, lists, copies and deletes media. Screenshots land in docs/screenshots/."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect as playwright_expect
from playwright.sync_api import sync_playwright

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT
from tests.conftest import KEY_A
from tests.support.feed_server import FeedServer, make_audio, rss
from tests.support.media import MediaSet, make_sized_file
from tests.support.media_server import MediaServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The tests always take the pictures; they replace the ones in docs/ only when asked
# (`make screenshots`), so a test run leaves the checkout as it was.
SHOTS = (
    REPO_ROOT / "docs" / "screenshots"
    if os.environ.get("MEDIABATCH_UPDATE_SCREENSHOTS")
    else Path(tempfile.mkdtemp(prefix="mediabatch-screens-"))
)
STATIC = REPO_ROOT / "functions" / "api" / "static"
MiB = 2**20
BIG = 150 * MiB + 3 * MiB + 123  # over the single-PUT limit: 10 parts of 16 MiB
PART_3 = re.compile(r"[?&]partNumber=3(&|$)")
PART_NUMBER = re.compile(r"[?&]partNumber=(\d+)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM.exists(), "chromium is missing: `make setup` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=60_000)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def expect(locator: Any) -> Any:
    return playwright_expect(locator)


def connect(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_label("API key").fill(KEY_A)
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#connection-status")).to_have_text("Connected.")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(MiB):
            digest.update(block)
    return digest.hexdigest()


def stored_sha256(url: str) -> str:
    digest = hashlib.sha256()
    with requests.get(url, stream=True, timeout=120) as response:
        response.raise_for_status()
        for block in response.iter_content(MiB):
            digest.update(block)
    return digest.hexdigest()


def media_id_of(page: Any, name: str) -> str:
    text = page.locator("#upload-list li", has_text=name).locator(".status").inner_text()
    match = re.search(r"media ([0-9a-f-]{36})", text)
    assert match, text
    return match.group(1)


# ------------------------------------------------------------------ serving
def test_the_page_is_public_and_outside_the_api_description(cloud: LocalCloud) -> None:
    index = requests.get(cloud.base_url + "/", timeout=10)
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="app/main.js"></script>' in index.text
    script = requests.get(cloud.base_url + "/app/upload.js", timeout=10)
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    for missing in ("/app/nope.js", "/app/..%2Fapp.py", "/app/app.py"):
        assert requests.get(cloud.base_url + missing, timeout=10).status_code == 404, missing
    paths = requests.get(cloud.base_url + "/openapi.json", timeout=10).json()["paths"]
    assert "/" not in paths and not any(p.startswith("/app") for p in paths)


# ------------------------------------------------------------------ uploads
def test_upload_of_a_big_file_in_parts_with_a_part_retried(
    page: Any, cloud: LocalCloud, media: MediaSet, tmp_path: Path
) -> None:
    big = make_sized_file(tmp_path / "holiday.mp4", BIG, seed=11)
    small = tmp_path / "clip.mp4"
    shutil.copyfile(media.clip, small)
    refused: list[str] = []
    part_3_puts: list[str] = []

    def refuse_first(route: Any) -> None:
        part_3_puts.append(route.request.method)
        if route.request.method == "PUT" and not refused:
            refused.append(route.request.url)
            route.fulfill(
                status=500,
                headers={"Access-Control-Allow-Origin": "*"},
                body="<Error><Code>InternalError</Code></Error>",
            )
        else:
            route.continue_()

    page.route(PART_3, refuse_first)
    connect(page, cloud.base_url + "/")
    page.set_input_files("#upload-files", [str(big), str(small)])
    page.get_by_role("button", name="Upload").click()
    page.wait_for_function(
        "() => { const b = document.querySelector('#upload-list progress');"
        " return b && b.value >= 25 && b.value < 90; }",
        timeout=120_000,
    )
    shot(page, "upload-progress.png")
    expect(page.locator("#upload-status")).to_have_text("2 file(s) uploaded.", timeout=240_000)
    shot(page, "upload.png")

    assert len(refused) == 1 and part_3_puts.count("PUT") == 2  # refused once, then stored
    big_row = page.locator("#upload-list li", has_text="holiday.mp4")
    assert big_row.get_attribute("data-retried") == "1"
    expect(big_row.locator("progress")).to_have_attribute("value", "100")
    item = requests.get(
        f"{cloud.base_url}/api/v0/media/{media_id_of(page, 'holiday.mp4')}", headers={"X-API-Key": KEY_A}, timeout=10
    ).json()
    assert (item["filename"], item["size"]) == ("holiday.mp4", BIG)
    assert stored_sha256(item["download_url"]) == sha256_of(big)
    assert page.evaluate("localStorage.getItem('mediabatch.uploads')") == "{}"  # nothing left to resume


def test_an_upload_interrupted_by_a_reload_resumes_when_the_file_is_picked_again(
    page: Any, cloud: LocalCloud, tmp_path: Path
) -> None:
    big = make_sized_file(tmp_path / "reloaded.mp4", BIG, seed=12)
    puts: list[int] = []
    page.on(
        "request",
        lambda r: puts.append(int(m.group(1))) if r.method == "PUT" and (m := PART_NUMBER.search(r.url)) else None,
    )
    connect(page, cloud.base_url + "/")
    page.set_input_files("#upload-files", str(big))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_function(
        "() => Number(document.querySelector('#upload-list li').dataset.partsDone) >= 2", timeout=120_000
    )
    page.reload()  # the transfers in flight die with the page; the uploadId stays in localStorage
    sent_before = set(puts)
    expect(page.locator("#connection-status")).to_have_text("Connected (key from this session).")
    assert "reloaded.mp4" in page.evaluate("localStorage.getItem('mediabatch.uploads')")
    puts.clear()
    page.set_input_files("#upload-files", str(big))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-list li .status")).to_contain_text("resuming", timeout=60_000)
    expect(page.locator("#upload-status")).to_have_text("1 file(s) uploaded.", timeout=240_000)
    resent = set(puts)
    assert len(sent_before) >= 2 and resent  # some parts had gone before the reload, the rest after
    assert len(resent) <= 10 - 2  # only the parts storage lacked
    assert resent | sent_before == set(range(1, 11))
    item = requests.get(
        f"{cloud.base_url}/api/v0/media/{media_id_of(page, 'reloaded.mp4')}", headers={"X-API-Key": KEY_A}, timeout=10
    ).json()
    assert item["size"] == BIG
    assert stored_sha256(item["download_url"]) == sha256_of(big)


# ------------------------------------------------------------------ downloads and media
def test_batch_download_is_watched_live_then_media_are_copied_and_deleted(
    page: Any, cloud: LocalCloud, media_server: MediaServer
) -> None:
    connect(page, cloud.base_url + "/")
    urls = [media_server.url("/clip.mp4?page=1"), media_server.url("/clip2.mp4?page=1")]
    page.get_by_label("Video URLs, one per line").fill("\n".join(urls))
    page.get_by_role("button", name="Start download").click()
    status = page.locator("#download-status")
    expect(status).to_contain_text("completed, 2 of 2 job(s) finished.", timeout=90_000)
    rows = page.locator("#download-jobs tbody tr")
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row.locator("progress")).to_have_attribute("value", "100")
        expect(row).to_contain_text("completed")
    shot(page, "downloads.png")

    # The catalog (refreshed when the batch completed): pick the first item with the keyboard, copy it.
    body = page.locator("#media-table tbody")
    expect(body.locator("tr").first).to_be_visible()
    first = body.locator("tr").first
    name = first.locator("td").nth(1).inner_text()
    first.locator("input[type=checkbox]").focus()
    page.keyboard.press("Space")
    copy = page.get_by_role("button", name="Copy selected")
    expect(copy).to_be_enabled()
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#media-status")).to_have_text("Copied 1 of 1.")
    copies = body.locator("tr", has_text=name)
    assert copies.count() >= 2

    # Delete the copy (the newest of that name), confirming the dialog.
    page.once("dialog", lambda dialog: dialog.accept())
    doomed = body.locator("tr", has_text=name).first
    doomed_id = doomed.get_attribute("data-id")
    assert doomed_id
    doomed.locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Delete selected").click()
    expect(page.locator("#media-status")).to_have_text("Deleted 1 of 1.")
    # By id, not by count: the table shows one page (25) of a tenant other tests also fill, so
    # an older item may slide into the freed row.
    expect(body.locator(f'tr[data-id="{doomed_id}"]')).to_have_count(0)
    gone = requests.get(f"{cloud.base_url}/api/v0/media/{doomed_id}", headers={"X-API-Key": KEY_A}, timeout=10)
    assert gone.status_code == 404
    shot(page, "media.png")


# ------------------------------------------------------------------ shows and documents
DOCUMENTS = REPO_ROOT.parent / "shared" / "corpus" / "documents"


def test_a_show_is_started_and_its_episodes_watched_with_the_failed_ones_code(
    page: Any, cloud: LocalCloud, tmp_path: Path
) -> None:
    with FeedServer({"mp3": make_audio(tmp_path, "mp3")}) as podcasts:
        episodes = [("Page Episode 1", podcasts.url("/audio/page/ep1.mp3"))]
        episodes.append(("Page Episode 2", podcasts.url("/audio/page/gone.mp3")))
        podcasts.unavailable.add("/audio/page/gone.mp3")
        podcasts.feeds["page.rss"] = rss("Page show", episodes)
        connect(page, cloud.base_url + "/")
        page.get_by_label("Show, feed or playlist URL").fill(podcasts.url("/feeds/page.rss"))
        page.get_by_label("Folder (optional)").fill("page-show")
        page.get_by_role("button", name="Start show").click()
        status = page.locator("#show-status")
        expect(status).to_contain_text("finished, 2 of 2 episode(s) done, 1 failed.", timeout=120_000)
        rows = page.locator("#show-episodes tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("Page Episode 1")
        expect(rows.nth(0)).to_contain_text("completed")
        expect(rows.nth(1)).to_contain_text("failed: ")
        shot(page, "show.png")

        podcasts.unavailable.clear()
        retry = page.get_by_role("button", name="Retry failed episodes")
        expect(retry).to_be_enabled()
        retry.click()
        expect(status).to_contain_text("completed, 2 of 2 episode(s) done, 0 failed.", timeout=120_000)


def test_documents_are_uploaded_watched_per_file_and_searched(page: Any, cloud: LocalCloud) -> None:
    collection = f"page_{os.getpid()}_{threading.get_ident() % 10000}"
    connect(page, cloud.base_url + "/")
    page.set_input_files("#document-files", [str(DOCUMENTS / "multicolumn.pdf"), str(DOCUMENTS / "crazyones-pdfa.pdf")])
    page.get_by_label("Collection", exact=True).fill(collection)
    page.get_by_role("button", name="Embed documents").click()
    status = page.locator("#document-status")
    expect(status).to_have_text(re.compile(rf"^Job \S+: completed into {collection}\.$"), timeout=240_000)
    rows = page.locator("#document-files-table tbody tr")
    expect(rows).to_have_count(2)
    for row in rows.all():
        expect(row.locator("progress")).to_have_attribute("value", "100")
        expect(row).to_contain_text("completed")

    expect(page.get_by_label("Collection to search")).to_have_value(collection)
    page.get_by_label("Search for").fill("Two-Column Document with Lorem Ipsum")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-status")).to_contain_text(f"in {collection}, nearest first.")
    expect(page.locator("#search-results li").first).to_contain_text("multicolumn.pdf")
    shot(page, "documents.png")

    page.get_by_label("Collection to search").fill(f"{collection}_missing")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#search-status")).to_have_text(f"not_found: Collection '{collection}_missing' not found")
    requests.delete(f"{cloud.base_url}/api/collections/{collection}", headers={"X-API-Key": KEY_A}, timeout=30)


class _StaticHost:
    """The page on another origin, as on S3: its folder, config.js pointing at the API."""

    def __init__(self, root: Path) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_: Any) -> None:
        pass


def test_the_page_works_from_another_host_pointed_at_the_api_by_config(
    page: Any, cloud: LocalCloud, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(STATIC, site)
    (site / "app" / "config.js").write_text(f'window.MEDIABATCH_API = "{cloud.base_url}";\n')
    host = _StaticHost(site)
    try:
        page.goto(host.url)
        expect(page.get_by_label("API address")).to_have_value(cloud.base_url)
        page.get_by_label("API key").fill("wrong-key-0123456789")
        page.get_by_role("button", name="Connect").click()
        expect(page.locator("#connection-status")).to_contain_text("Not connected: invalid_api_key")
        page.get_by_label("API key").fill(KEY_A)
        page.get_by_role("button", name="Connect").click()  # CORS: the API allows any origin
        expect(page.locator("#connection-status")).to_have_text("Connected.")
        expect(page.locator("#media-status")).to_contain_text("item(s) shown")
    finally:
        host.close()
