"""Batch delete and batch copy of 50 media items against the single-item path, looped.

batch    = one POST /api/v0/media/batch/{delete,copy} with 50 ids (the batch goes step by step
           for all its items: one read, one transaction per step, one multi-object delete,
           events ten a call; folder listings and server-side copies 16 at a time)
baseline = 50 sequential calls of the single-item path in the same run: DELETE /api/v0/media/{id}
           (a batch of one) for deletes, POST /api/v0/media/batch/copy with one id for copies
speed-up = baseline seconds / batch seconds. Target (the issue): >= 5x.

Two settings, both in this run. *Emulator*: as the local cloud answers, on the same machine:
DynamoDB Local and SeaweedFS in child processes, EventBridge and SQS in moto in the cloud's
process, the functions in worker processes of their own. The work they do per item (each object
deleted or copied, each event routed) is the same in both arms; a batch saves the per-call and
per-request costs (HTTP, signing, authentication), not that work.
*Modelled AWS latency*: every AWS call made by the product's clients first waits CALL_LATENCY_S
(a sleep that holds no CPU), as a call to DynamoDB or S3 in the region waits on the network;
a batch pays a handful of such waits in a row, the loop five to seven per item. The target is
judged on the modelled figure.

Items are seeded straight through the adapters (a 256 KiB file, a thumbnail and a 4-file HLS
folder each, as processing leaves an upload), so the figures measure the operations alone, not
uploads or ffmpeg. The table is put back between runs (TableReset)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from bench.common import API_KEY, TENANT, Api, BenchError, BenchResult, TableReset, cloud, fmt_runs, fmt_s, median
from bench.fingerprint import LOCAL_CLOUD

NAME = "media_operations"
# The code this measures (its table names the hash; tests/test_performance_is_current.py).
MEASURES = (
    *LOCAL_CLOUD,
    "layers/shared/mediabatch/**/*.py",
    "!layers/shared/mediabatch/downloads/**",
    "!layers/shared/mediabatch/uploads/**",
    "!layers/shared/mediabatch/processing/**",
    "!layers/shared/mediabatch/adapters/ytdlp/**",
    "!layers/shared/mediabatch/adapters/ffmpeg/**",
    "functions/api/**/*.py",
    "bench/media_operations.py",
)
TITLE = "Batch delete / copy of 50 items vs the single-item path looped"
ITEMS = 50
FILE_BYTES = 256 * 1024
TARGET_RATIO = 5.0
CALL_LATENCY_S = 0.010  # a modelled round trip to DynamoDB / S3 / EventBridge in the same region


def _model_call_latency(seconds: float) -> None:
    """Every request of the product's own clients (in whichever worker process makes it) waits
    `seconds` first: a `latency` rule of the local cloud's shared fault plan (localcloud/faults.py)."""
    from localcloud import faults

    if not seconds:
        faults.clear()
        return
    faults.set_plan(
        [
            {
                "name": f"latency-{service}",
                "kind": "latency",
                "service": service,
                "seconds": seconds,
                "app_only": True,
                "rate": 1.0,
            }
            for service in ("dynamodb", "s3", "events")
        ]
    )


def _seed(n: int) -> list[str]:
    """n uploaded-and-processed items of the bench tenant; their ids."""
    from mediabatch import container
    from mediabatch.catalog.models import ProcessingState
    from mediabatch.catalog.service import build_item
    from mediabatch.operations.models import AuditAction, AuditEntry, AuditResult, time_ordered_id

    table, bucket = container.media_item_table(), container.media_bucket()
    body = bytes(range(256)) * (FILE_BYTES // 256)
    ids = []
    for _ in range(n):
        media_id = str(uuid.uuid4())
        directory = f"tenants/{TENANT}/media/{media_id}"
        item = build_item(
            tenant_id=TENANT,
            media_id=media_id,
            storage_key=f"{directory}/clip.mp4",
            filename="clip.mp4",
            size=len(body),
            content_type="video/mp4",
            folder="bench",
            title="clip",
            metadata={"source": "bench"},
            processing=ProcessingState.READY,
        )
        item.processing.thumbnail_key = f"{directory}/thumbnail.jpg"
        item.processing.hls_playlist_key = f"{directory}/hls/index.m3u8"
        bucket.put_bytes(item.storage_key, body, "video/mp4")
        for name in ("thumbnail.jpg", "hls/index.m3u8", "hls/seg0.ts", "hls/seg1.ts", "hls/seg2.ts"):
            bucket.put_bytes(f"{directory}/{name}", b"derived")
        seeded = AuditEntry(
            TENANT,
            time_ordered_id(),
            "2026-01-01T00:00:00Z",
            "bench",
            AuditAction.MEDIA_COPY,
            media_id,
            AuditResult.SUCCESS,
        )
        table.create(item, seeded)
        ids.append(media_id)
    return ids


def _timed(call: Callable[[], list[int]], expected: int, latency: float) -> float:
    _model_call_latency(latency)
    try:
        started = time.monotonic()
        statuses = call()
        elapsed = time.monotonic() - started
    finally:
        _model_call_latency(0.0)
    if statuses != [expected] * ITEMS:
        raise BenchError(f"expected {ITEMS} x {expected}, got {sorted(set(statuses))}")
    return elapsed


def _one_round(api: Api, latency: float) -> dict[str, float]:
    url = f"{api.base_url}/api/v0/media"

    def batch(action: str, ids: list[str], key: str = "status") -> list[int]:
        response = api.session.post(f"{url}/batch/{action}", json={"ids": ids}, timeout=300)
        if response.status_code != 200:
            raise BenchError(f"batch {action} answered {response.status_code}: {response.text[:300]}")
        return [int(r[key]) for r in response.json()["results"]]

    def singles_delete(ids: list[str]) -> list[int]:
        return [api.session.delete(f"{url}/{i}", timeout=60).status_code for i in ids]

    def singles_copy(ids: list[str]) -> list[int]:
        return [batch("copy", [i])[0] for i in ids]

    sources = _seed(ITEMS)
    figures = {
        "copy_batch": _timed(lambda: batch("copy", sources), 201, latency),
        "copy_single": _timed(lambda: singles_copy(sources), 201, latency),
    }
    doomed_batch, doomed_single = _seed(ITEMS), _seed(ITEMS)
    figures["delete_batch"] = _timed(lambda: batch("delete", doomed_batch), 204, latency)
    figures["delete_single"] = _timed(lambda: singles_delete(doomed_single), 204, latency)
    return figures


def run(quick: bool = False) -> BenchResult:
    rounds = 1 if quick else 3
    api = Api(cloud().base_url, API_KEY)
    reset = TableReset()
    runs: dict[str, list[float]] = {}
    for round_ in range(rounds):
        for setting, latency in (("emulator", 0.0), ("modelled", CALL_LATENCY_S)):
            reset()
            for name, seconds in _one_round(api, latency).items():
                runs.setdefault(f"{setting} {name}", []).append(seconds)
            done = ", ".join(f"{k} {v[-1]:.2f} s" for k, v in runs.items() if k.startswith(setting))
            print(f"  round {round_ + 1}: {done}", flush=True)
    reset()

    def ratio(setting: str, action: str) -> float:
        return median(runs[f"{setting} {action}_single"]) / median(runs[f"{setting} {action}_batch"])

    figures: list[tuple[str, str]] = []
    for setting, label in (("emulator", "emulator"), ("modelled", f"{CALL_LATENCY_S * 1000:.0f} ms per AWS call")):
        for action, single in (("copy", "single-id batch copy"), ("delete", "single DELETE")):
            figures += [
                (
                    f"{action.title()}, {ITEMS} items in one request ({label})",
                    fmt_runs(runs[f"{setting} {action}_batch"]),
                ),
                (f"{ITEMS} x {single}, one after another ({label})", fmt_runs(runs[f"{setting} {action}_single"])),
                (f"{action.title()} speed-up ({label})", f"{ratio(setting, action):.1f}x"),
            ]
    per_item = median(runs["emulator delete_batch"]) / ITEMS
    figures.append(("Emulator time per item in a batch delete", fmt_s(per_item)))
    met = min(ratio("modelled", "copy"), ratio("modelled", "delete")) >= TARGET_RATIO
    notes = [
        "Each item: a 256 KiB file, a thumbnail and 4 HLS files. A batch of 50 makes, besides the "
        "API key's read: for deletes one BatchGetItem, one TransactWriteItems (marks), 50 folder "
        "listings, one DeleteObjects, one TransactWriteItems (records + audit entries) and 5 PutEvents "
        "(59 calls; 300 when each item went on its own); for copies one BatchGetItem, 50 conditional "
        "CopyObject, one TransactWriteItems and 5 PutEvents (57 calls; 250 before).",
        "The baseline pays one HTTP request, authentication (one DynamoDB read) and the same steps for "
        "one item (7 AWS calls a delete, 5 a copy, the key's read included), one after another.",
        "On the emulator the per-object and per-event work of the local S3 and moto's EventBridge is "
        "the same in both arms and bounds the speed-up; the modelled setting adds the network wait "
        "each call has on AWS, which a batch pays a handful of times.",
    ]
    target = (
        f">= {TARGET_RATIO:.0f}x the single-item path looped ({CALL_LATENCY_S * 1000:.0f} ms modelled per AWS call)"
    )
    return BenchResult(NAME, TITLE, target, met, figures, notes)
