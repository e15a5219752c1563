"""Render docs/reliability.md from the figures the reliability suites leave in
build/reliability/*.json (`make reliability` runs the suites, then this)."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "build" / "reliability"
DOC = ROOT / "docs" / "reliability.md"


def load(suite: str) -> dict[str, Any] | None:
    path = FIGURES / f"{suite}.json"
    return dict(json.loads(path.read_text())) if path.exists() else None


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return out.stdout.strip() or "unknown"


def fuzzing(figures: dict[str, Any] | None) -> list[str]:
    if figures is None:
        return ["Not run: `make reliability` writes this section.", ""]
    lines = [
        f"{figures['operations']} operations, {figures['cases']} cases in all (at most "
        f"{figures['max_examples']['positive']} valid and {figures['max_examples']['negative']} invalid cases per "
        "route). Checks on every answer: not a server error, a status the document lists, the documented content "
        "type, a body valid against the documented schema; every request has a 10 s timeout.",
        "",
        "| route | valid cases | invalid cases | statuses seen | seconds |",
        "|---|---:|---:|---|---:|",
    ]
    for route, modes in figures["routes"].items():
        pos, neg = modes.get("positive", {}), modes.get("negative", {})
        statuses: dict[str, int] = {}
        for mode in (pos, neg):
            for status, n in mode.get("statuses", {}).items():
                statuses[status] = statuses.get(status, 0) + n
        seen = ", ".join(f"{s}x{n}" for s, n in sorted(statuses.items()))
        secs = round(pos.get("seconds", 0) + neg.get("seconds", 0), 1)
        lines.append(f"| `{route}` | {pos.get('cases', 0)} | {neg.get('cases', '-')} | {seen} | {secs} |")
    return [*lines, ""]


def ssrf(figures: dict[str, Any] | None) -> list[str]:
    if figures is None:
        return ["Not run: `make reliability` writes this section.", ""]
    lines = [
        f"Corpus: {figures['corpus_urls']} hostile URLs (`tests/data/ssrf_corpus.txt`). Trap server on 127.0.0.3 "
        f"(the test cloud allowlists only 127.0.0.1): **{figures['trap_hits']} requests reached it.**",
        "",
        "| place | refused when submitted | refused when fetched |",
        "|---|---:|---:|",
    ]
    for place, n in figures.get("refused_at_submit", {}).items():
        lines.append(f"| {place} | {n} | {figures.get('refused_at_run', {}).get(place, 0)} |")
    lines += [
        f"| redirects from an allowed server to each corpus URL | - | {figures.get('redirects', 0)} |",
        f"| HLS manifest on an allowed server, segments on the trap | - | {figures.get('hls_manifests', 0)} |",
        f"| feed on an allowed server, enclosures on the trap | - | {figures.get('feed_enclosures', 0)} |",
        f"| webhook receiver redirecting to the trap | - | {figures.get('webhook_redirects', 0)} |",
        "",
    ]
    return lines


def tenants(figures: dict[str, Any] | None) -> list[str]:
    if figures is None:
        return ["Not run: `make reliability` writes this section.", ""]
    routes = figures["routes"]
    lines = [
        f"{len(routes)} routes with an id, from `docs/openapi.json`: tenant B with another tenant's id got "
        "the same answer as with a missing id of the same shape on every one (status, body with the id masked).",
        "",
        "| route | status for another tenant's id (= missing) |",
        "|---|---:|",
    ]
    lines += [f"| `{route}` | {status} |" for route, status in routes.items()]
    return [*lines, ""]


def audit(figures: dict[str, Any] | None) -> list[str]:
    if figures is None:
        return ["Not run: `make reliability` writes this section.", ""]
    local = figures.get("local")
    if local is None:
        return [str(figures["summary"]), ""]
    db = local["database"]
    service = figures.get("service") or "pip-audit: no vulnerability service answered here (PyPI's JSON API and OSV)."
    lines = [
        f"{local['pins']} pins ({local['packages']} packages) of {len(local['files'])} requirements files (the "
        "runtime ones, the layers', and the tools' venvs) against the "
        f"{local['advisories_checked']} advisories that the PyPA advisory database holds for them (OSV records, "
        f"{db['source']} at `{db['commit'][:12]}` of {db['date'][:10]}, {db['age_days']} days old when the suite "
        "ran; `make advisories` fetches it, `tests/support/advisories.py` applies OSV's version ranges without "
        f"network). {service} Unpinned, so not audited: "
        + (", ".join(f"`{u}`" for u in local["unpinned"]) or "none")
        + ". A finding fails the suite unless it is fixed or explained in "
        "`tests/reliability/audit_allowlist.toml`; an explanation that matches nothing any more fails it too.",
        "",
        *audit_findings(figures["findings"]),
    ]
    return lines


def audit_findings(findings: list[dict[str, Any]]) -> list[str]:
    if not findings:
        return ["No advisory matches a pinned version.", ""]
    lines = ["| pin | file | advisory | fixed in | verdict |", "|---|---|---|---|---|"]
    for f in findings:
        advisory = ", ".join([f["id"], *f["aliases"]])
        verdict = "explained below" if f["accepted"] else "**open**"
        lines.append(
            f"| `{f['pin']}` | `{f['file']}` | {advisory} | {', '.join(f['fixed']) or 'no release'} | {verdict} |"
        )
    lines += ["", "Why each one does not apply here:", ""]
    lines += [f"- `{f['pin']}` {f['id']}: {f['accepted']}" for f in findings if f["accepted"]]
    return [*lines, ""]


def rate_limits(figures: dict[str, Any] | None) -> list[str]:
    if figures is None:
        return ["Not run: `make reliability` writes this section.", ""]
    f = figures
    return [
        f"A cloud of its own with a creation limit of {f['limit']} per {f['window_seconds']} s; one tenant sent "
        f"{f['burst']} creations at once (in {f['burst_seconds']} s): **{f['admitted']} admitted, "
        f"{f['refused_429']} answered 429** (`rate_limited`, Retry-After at most {f['retry_after_max']} s), "
        f"other statuses: {f['other_statuses'] or 'none'}. Another tenant meanwhile: {f['other_tenant_status']}. "
        f"The first tenant after Retry-After: {f['after_retry_after_status']}. Limits and their reasons: "
        "`docs/limits.md`.",
        "",
    ]


def injected_faults(figures: dict[str, Any] | None) -> list[str]:
    if figures is None:
        return ["Not run: `make reliability` writes this section.", ""]
    batches = figures["batches"]
    kinds = sorted({k for b in batches.values() for k in b["faults"]})
    lines = [
        f"Base rate {figures['rate']} per call and kind of fault (seed {figures['seed']}), on the product's own "
        "clients only (`app/mediabatch` in the user agent; `localcloud/faults.py`). Each cell: faults injected / "
        "re-sends of a request that met one (botocore's standard retry mode, or tenacity where the product retries "
        "a cancelled transaction). `timeout-answer-lost`: the write took effect, then its answer was lost.",
        "",
        "| batch kind | items | lost | duplicated | " + " | ".join(kinds) + " |",
        "|---|---:|---:|---:|" + "---:|" * len(kinds),
    ]
    for name, b in batches.items():
        cells = [
            f"{b['faults'][k]['faults']} / {b['faults'][k]['retries']}" if k in b["faults"] else "-" for k in kinds
        ]
        lines.append(f"| {name} | {b['items']} | {b['lost']} | {b['duplicated']} | " + " | ".join(cells) + " |")
    total = sum(f["faults"] for b in batches.values() for f in b["faults"].values())
    lines += [
        "",
        f"{total} faults injected in all; every batch reached a terminal state with its counters equal to its jobs.",
        "",
    ]
    return lines


def load_section(figures: dict[str, Any] | None) -> list[str]:
    if figures is None:
        return ["Not run: `make reliability` writes this section.", ""]
    connect, read = figures["timeout_s"]
    lines = [
        f"{figures['clients']} concurrent clients for {figures['seconds']} s on the local gateway (one thread and "
        f"keep-alive session each; timeouts {connect:g} s to connect, {read:g} s to read): {figures['requests']} "
        f"requests, **{figures['throughput_rps']} requests/s, p50 {figures['p50_ms']} ms, "
        f"p99 {figures['p99_ms']} ms**; "
        f"**{figures['server_errors']} responses >= 500, {figures['transport_errors']} transport errors**, "
        f"{figures['rate_limited_429']} answered 429 (rate limits, counted apart). Creates paced at "
        f"{figures['creates_per_second']:g}/s in all; the {figures['batches_created']} batches they made all "
        f"finished ({figures['batches_unfinished']} unfinished). Statuses: "
        + ", ".join(f"{s}x{n}" for s, n in figures["statuses"].items())
        + (
            ". The functions ran in worker processes (the local cloud's default: the API serves as many requests "
            "at once as it has workers, on 2 cores here)."
            if figures.get("workers") == "process"
            else ". The local API answered one request at a time when this was measured: latency is mostly queueing."
        ),
        "",
        "| request | count | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| `{k}` | {v['requests']} | {v['p50_ms']} | {v['p99_ms']} |" for k, v in figures["by_route"].items()]
    return [*lines, ""]


FOUND = [
    "## What the suites found, and the fixes (each kept as a test)",
    "",
    "- **A request body that is not UTF-8 answered 500** on every JSON route (Powertools decodes the body before"
    " validating it). It is now a 400 `invalid_json` naming the byte (`functions/api/api_routes/validation.py`;"
    " `tests/reliability/test_fuzzing_findings.py`).",
    "- **Numeric spellings of an address passed batch creation as host names**: `http://2130706435/`,"
    " `http://0177.0.0.3/`, `http://127.3/`, `http://0x7f.0.0.3/`, `http://0/`, `http://012.0.0.1/`. Batch"
    " creation checks URLs without DNS, so these were accepted (202) and refused only when the job connected. The"
    " guard now reads them as the C library does (`inet_aton`), as addresses (`mediabatch/urlguard.py`;"
    " `tests/unit/test_ssrf_corpus.py`). No request reached the trap before or after the fix.",
    "- Names are still not resolved at batch creation (a slow DNS would hold the request): a name that rebinds is"
    " refused when the job connects (the yt-dlp connect guard checks the address it connects to; the webhook"
    " client connects to the address it checked), proved with a stub resolver in"
    " `tests/integration/test_ssrf_rebinding.py`.",
    "- Tenant isolation held on every route with an id: nothing to fix.",
    "- The admin routes (`/admin/v1/...`) are fuzzed like every route, as tenant C: the shared test cloud has no"
    " admin token, so every case is a 401 in the envelope (`admin_disabled`), which also proves that a tenant key"
    " opens none of them; what they do with the token is proved in `tests/e2e/test_admin_keys.py`, on a cloud of"
    " its own. The tenant matrix leaves them out: they are not tenant routes.",
    "- **A create whose answer was lost answered 500** (`POST /api/v1/batch/download`,"
    " `POST /api/v1/videos/batch/init`): botocore sends a write again after a read timeout; the batch (or upload)"
    " item written by the first send failed the re-send's `attribute_not_exists` condition. A create now recognises"
    " its own write by a marker unique to it (`put_new` in `mediabatch/adapters/dynamodb/codec.py`;"
    " `tests/integration/test_lost_answers.py`).",
    "- **A copy batch whose record write lost its answer deleted the new bytes** (found reading the code, not by"
    " the suite): the batch's records are one transaction, and when it raised after committing, the copy step undid"
    " every copy, leaving records of files that were gone. The copy step now reads the records back first: copies"
    " whose records exist are reported `copied` and keep their bytes; if even that read fails, the bytes stay"
    " (`operations/copying.py` `_settle`; `tests/unit/operations/test_media_operations.py`).",
    "- The product's own retries (a transaction cancelled by contention, unprocessed batch items) now go through"
    " tenacity; botocore's standard mode retries every AWS call (`MEDIABATCH_AWS_MAX_ATTEMPTS`, 6 by default).",
    "- Left open: at extreme rates (30% lost answers on every write, the probe behind the lost-answer fix) a"
    " transaction whose answer is lost and whose re-send then meets a conflict is retried by tenacity with a new"
    " idempotency token, and sees its own write as another request's: a media delete answered 404 for an item it"
    " had deleted. Such transactions are left out of the suite's lost answers (`DDB_WRITES`); botocore's own"
    " re-sends keep the token, which DynamoDB honours. A job whose runner gives up mid-way under such rates stays"
    " running until the reconciler (disabled in the test cloud) requeues it.",
    "- Limit of the fuzzing figures: on the create routes (`POST /api/v1/batch/download`, `POST /jobs`,"
    " `POST /api/v0/webhooks`, `POST /api/v1/videos/batch/init`, the document routes) every generated body that"
    " the document calls valid is refused with a 400 by rules the schema does not express (the URL policy, sizes,"
    " file types): the fuzzing proves their validation, not the work behind it (the e2e suites cover that).",
    "",
]


def render() -> str:
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = [
        "# Reliability: the product under attack and failure",
        "",
        f"Generated by `make reliability` at commit `{commit()}` on {date}, from the figures the suites write "
        "(`build/reliability/*.json`). The suites run in `make test` too (loopback only, bounded in time and count).",
        "",
        "## Fuzzing from the contract (`tests/reliability/test_contract_fuzzing.py`)",
        "",
    ]
    return "\n".join(
        [
            *head,
            *fuzzing(load("fuzzing")),
            "## SSRF corpus (`tests/reliability/test_ssrf.py`, `tests/unit/test_ssrf_corpus.py`, "
            "`tests/integration/test_ssrf_rebinding.py`)",
            "",
            *ssrf(load("ssrf")),
            "## Tenant matrix (`tests/reliability/test_tenant_matrix.py`)",
            "",
            *tenants(load("tenants")),
            "## Injected faults (`tests/reliability/test_injected_faults.py`)",
            "",
            *injected_faults(load("faults")),
            "## Load (`tests/reliability/test_load.py`)",
            "",
            *load_section(load("load")),
            "## Dependencies (pip-audit, PyPA advisory database; `tests/reliability/test_dependencies.py`)",
            "",
            *audit(load("audit")),
            "## Rate limits (`tests/reliability/test_rate_limits.py`)",
            "",
            *rate_limits(load("rate_limits")),
            *FOUND,
        ]
    )


if __name__ == "__main__":
    DOC.write_text(render())
    sys.stdout.write(f"wrote {DOC.relative_to(ROOT)}\n")
