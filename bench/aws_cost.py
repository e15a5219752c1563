"""What a workload costs on AWS and where the template's limits are, on paper: `python -m
bench.aws_cost` prints both tables and writes them into docs/deploy.md (between the
`aws_cost` markers). Not a timing benchmark and not in `bench.BENCHMARKS`: it measures
nothing, it multiplies.

Its inputs are the repository's own numbers: MemorySize and architecture from template.yaml,
state transitions counted from the ASL files, per-job durations, CPU per GiB and the AWS
calls of a job from docs/performance.md (measured by bench/), URL and concurrency limits
from the code. What no benchmark measured is an ASSUMPTION below, named as such in the
output. Prices are us-east-1 list prices as of PRICES_AS_OF: check them before relying on
the figures (https://aws.amazon.com/pricing/).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT, REPO_ROOT / "layers" / "shared"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
DOC = REPO_ROOT / "docs" / "deploy.md"
START, END = "<!-- aws_cost:start -->", "<!-- aws_cost:end -->"

PRICES_AS_OF = "2026-11-30 (list prices published since late 2024; not re-checked online: no network here)"
PRICE = {
    "lambda_gb_s_x86_64": 0.0000166667,
    "lambda_gb_s_arm64": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "sfn_transition": 0.025 / 1000,  # Standard workflows
    "ddb_wru": 0.625 / 1e6,  # on-demand
    "ddb_rru": 0.125 / 1e6,
    "s3_put": 0.005 / 1000,  # PUT, COPY, POST, LIST (UploadPart and CompleteMultipartUpload included)
    "s3_get": 0.0004 / 1000,  # GET, HEAD
    "s3_gb_month": 0.023,
    "transfer_out_gb": 0.09,  # to the internet, first 10 TB a month (the first 100 GB are free)
    "http_api_request": 1.00 / 1e6,
    "eventbridge_event": 1.00 / 1e6,
    "sqs_request": 0.40 / 1e6,
}

# ASSUMPTIONS (no benchmark measures these; change them here and rerun).
AVG_DOWNLOAD_MIB = 100  # mean file size of a download job
UPLOAD_FILE_GIB = 1  # 1,000 GiB arrive as 1,000 files of 1 GiB
PROCESSING_S = {"probe": 2.0, "thumbnail": 3.0, "hls_copy_per_gib": 20.0}  # H.264 source: HLS remux, no transcode
POLLS_PER_BATCH = 30  # GET /batch/{id} while it runs (clients poll every few seconds)
JOBS_PER_BATCH = 100  # the largest batch (MAX_URLS): fewest batches per 1,000 jobs
LAMBDA_VCPU_MB = 1769  # one full vCPU at this memory size (AWS Lambda documentation)
DOC_SECONDS_PER_PAGE = 2.0  # documents: no benchmark yet


@dataclass(frozen=True)
class Line:
    what: str
    quantity: float
    unit: str
    usd: float


# ---------------------------------------------------------------------- inputs
def template_functions() -> tuple[dict[str, dict[str, Any]], str]:
    from localcloud.template import load_template, merge_globals

    template = load_template(REPO_ROOT / "template.yaml")
    resources = merge_globals(template)
    arch = (template.get("Globals", {}).get("Function", {}).get("Architectures") or ["x86_64"])[0]
    functions = {lid: r["Properties"] for lid, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    return functions, arch


def transitions(asl_file: str) -> tuple[int, int]:
    """(per execution outside Maps, per Map item) on the success path of an ASL definition:
    Standard workflows bill one transition per state entered."""
    definition = json.loads((REPO_ROOT / "statemachines" / asl_file).read_text())
    per_item = 0
    outer = 0
    for state in _success_path(definition):
        outer += 1
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            per_item += sum(1 for _ in _success_path(processor))
    return outer, per_item


def _success_path(definition: dict[str, Any]) -> list[dict[str, Any]]:
    states, name = definition["States"], definition["StartAt"]
    path: list[dict[str, Any]] = []
    while name and len(path) < len(states):
        state = states[name]
        path.append(state)
        if state.get("End") or state.get("Type") in ("Succeed", "Fail"):
            break
        name = state.get("Next") or state.get("Default")
    return path


@dataclass(frozen=True)
class Measured:
    job_wall_s: float  # a small job's function wall time (download + upload + the rest)
    cpu_s_per_gib: float  # CPU a job spends per GiB downloaded
    calls_per_job: dict[str, float]  # e.g. dynamodb.TransactWriteItems -> 2.0
    source: str


def measured() -> Measured:
    text = (REPO_ROOT / "docs" / "performance.md").read_text()
    wall = re.search(r"rest of the function \(wall\) \| (\d+) / (\d+) / (\d+) ms", text)
    cpu = re.search(r"([\d.]+) CPU-s/GiB here", text)
    calls = re.search(r"AWS calls in each job[^|]*\| [\d.]+: ([^;|]+)", text)
    if not (wall and cpu and calls):
        raise SystemExit("docs/performance.md lacks the rows this script reads: rerun `python -m bench`")
    per_job = {m[0]: float(m[1]) for m in re.findall(r"(\w+\.\w+) ([\d.]+)", calls.group(1))}
    return Measured(
        job_wall_s=sum(int(g) for g in wall.groups()) / 1000,
        cpu_s_per_gib=float(cpu.group(1)),
        calls_per_job=per_job,
        source="docs/performance.md (orchestration_overhead, download_memory)",
    )


# ---------------------------------------------------------------------- costs
def lambda_cost(what: str, memory_mb: int, seconds: float, invocations: float, arch: str) -> list[Line]:
    gb_s = memory_mb / 1024 * seconds
    return [
        Line(f"Lambda {what} ({memory_mb} MB)", gb_s, "GB-s", gb_s * PRICE[f"lambda_gb_s_{arch}"]),
        Line(f"Lambda {what} requests", invocations, "requests", invocations * PRICE["lambda_request"]),
    ]


def download_job_seconds(memory_mb: int, m: Measured) -> float:
    """A job's duration on Lambda: the measured fixed part plus CPU per GiB at the vCPU share
    its memory buys (a download is CPU-bound in yt-dlp's Python at these sizes)."""
    vcpu = min(1.0, memory_mb / LAMBDA_VCPU_MB)
    return m.job_wall_s + m.cpu_s_per_gib * (AVG_DOWNLOAD_MIB / 1024) / vcpu


def downloads(jobs: int, fns: dict[str, dict[str, Any]], arch: str, m: Measured) -> list[Line]:
    batches = -(-jobs // JOBS_PER_BATCH)
    job_mb = int(fns["RunDownloadJobFunction"]["MemorySize"])
    job_s = download_job_seconds(job_mb, m)
    outer, per_item = transitions("batch_download.asl.json")
    calls = dict(m.calls_per_job)
    # Progress is written at most once a second (docs/limits.md); the measured jobs were shorter.
    calls["dynamodb.UpdateItem"] = max(calls.get("dynamodb.UpdateItem", 0.0), job_s)
    wru = (
        calls.get("dynamodb.TransactWriteItems", 0) * 2 * 2  # ~2 items, transactions cost 2 WRU an item
        + calls.get("dynamodb.PutItem", 0)
        + calls.get("dynamodb.UpdateItem", 0)
    ) * jobs
    rru = (calls.get("dynamodb.GetItem", 0) + calls.get("dynamodb.BatchGetItem", 0) * 2) * jobs
    api_requests = batches * (1 + POLLS_PER_BATCH)
    api_mb = int(fns["ApiFunction"]["MemorySize"])
    gib = jobs * AVG_DOWNLOAD_MIB / 1024
    parts = max(1, AVG_DOWNLOAD_MIB // 8)  # boto3 multipart: 8 MiB parts above 8 MiB
    return [
        *lambda_cost("RunDownloadJobFunction", job_mb, job_s * jobs, jobs, arch),
        *lambda_cost(
            "FinalizeBatchFunction", int(fns["FinalizeBatchFunction"]["MemorySize"]), 0.3 * batches, batches, arch
        ),
        *lambda_cost("ApiFunction", api_mb, 0.05 * api_requests, api_requests, arch),
        Line("HTTP API requests (create + polls)", api_requests, "requests", api_requests * PRICE["http_api_request"]),
        Line(
            f"Step Functions transitions ({outer} a batch + {per_item} a job)",
            outer * batches + per_item * jobs,
            "transitions",
            (outer * batches + per_item * jobs) * PRICE["sfn_transition"],
        ),
        Line("DynamoDB writes (job state, progress, counters)", wru, "WRU", wru * PRICE["ddb_wru"]),
        Line("DynamoDB reads", rru, "RRU", rru * PRICE["ddb_rru"]),
        Line(
            "S3 PUT/multipart requests",
            jobs * (parts + 2 if parts > 1 else 1),
            "requests",
            jobs * (parts + 2 if parts > 1 else 1) * PRICE["s3_put"],
        ),
        Line(
            "EventBridge events (job + batch events)",
            jobs + batches,
            "events",
            (jobs + batches) * PRICE["eventbridge_event"],
        ),
        Line("S3 storage, one month", gib * 1.073741824, "GB-month", gib * 1.073741824 * PRICE["s3_gb_month"]),
    ]


def uploads(gib: int, fns: dict[str, dict[str, Any]], arch: str) -> list[Line]:
    files = gib // UPLOAD_FILE_GIB
    parts_per_file = UPLOAD_FILE_GIB * 1024 // 16  # 16 MiB parts (docs/limits.md)
    proc_mb = int(fns["MediaProcessingFunction"]["MemorySize"])
    proc_s = PROCESSING_S["probe"] + PROCESSING_S["thumbnail"] + PROCESSING_S["hls_copy_per_gib"] * UPLOAD_FILE_GIB
    outer, _ = transitions("media_processing.asl.json")
    api_calls = files * 3  # init, progress, complete
    return [
        Line(
            "S3 UploadPart (browser PUTs to presigned URLs)",
            files * parts_per_file,
            "requests",
            files * parts_per_file * PRICE["s3_put"],
        ),
        *lambda_cost(
            "ApiFunction (init, progress, complete)",
            int(fns["ApiFunction"]["MemorySize"]),
            0.2 * api_calls,
            api_calls,
            arch,
        ),
        Line("HTTP API requests", api_calls, "requests", api_calls * PRICE["http_api_request"]),
        *lambda_cost("MediaProcessingFunction (probe, thumbnail, HLS)", proc_mb, proc_s * files, outer * files, arch),
        Line(
            f"Step Functions transitions ({outer} a file)",
            outer * files,
            "transitions",
            outer * files * PRICE["sfn_transition"],
        ),
        Line(
            "S3 reads by ffmpeg (ranged GETs, ~1 per 8 MiB)",
            files * 128 * 2,
            "requests",
            files * 128 * 2 * PRICE["s3_get"],
        ),
        Line(
            "S3 writes of HLS segments (6 s each, ~200 a GiB)", files * 200, "requests", files * 200 * PRICE["s3_put"]
        ),
        Line(
            "S3 storage, one month (original + HLS copy)",
            2 * gib,
            "GB-month",
            2 * gib * 1.073741824 * PRICE["s3_gb_month"],
        ),
    ]


def documents(pages: int, fns: dict[str, dict[str, Any]], arch: str) -> list[Line]:
    doc_fns = [lid for lid in fns if "document" in lid.lower()]
    if not doc_fns:
        return []
    memory = max(int(fns[lid].get("MemorySize", 128)) for lid in doc_fns)
    return lambda_cost(
        f"{'/'.join(sorted(doc_fns))} (ASSUMED {DOC_SECONDS_PER_PAGE} s a page)",
        memory,
        DOC_SECONDS_PER_PAGE * pages,
        pages,
        arch,
    )


# ---------------------------------------------------------------------- limits
# History events of one inline Map item: iteration started/succeeded, state entered/exited,
# task scheduled/started/succeeded, and one to spare.
HISTORY_EVENTS_PER_JOB = 8
SFN_HISTORY_LIMIT = 25_000  # events in one Standard execution
PARTITION_WCU_PER_S = 1_000  # DynamoDB writes a second to one partition (1 KB items)
SEED_CONCURRENCY = 100  # seeds/podcast-show-batches.md: "Concurrent downloads ~100 per batch"


def limits(fns: dict[str, dict[str, Any]], m: Measured) -> list[str]:
    from mediabatch.downloads.models import MAX_URLS
    from mediabatch.uploads.models import MAX_FILES_PER_BATCH

    job_mb = int(fns["RunDownloadJobFunction"]["MemorySize"])
    timeout = int(fns["RunDownloadJobFunction"]["Timeout"])
    vcpu = min(1.0, job_mb / LAMBDA_VCPU_MB)
    s_per_gib = m.cpu_s_per_gib / vcpu
    proc_timeout = int(fns["MediaProcessingFunction"]["Timeout"])
    job_s = download_job_seconds(job_mb, m)
    # At SEED_CONCURRENCY jobs running in one batch: one progress write a second each, plus
    # the transactions of the jobs finishing (each touches the batch item's counters).
    finishing = SEED_CONCURRENCY / job_s
    hot_writes = SEED_CONCURRENCY + finishing * m.calls_per_job.get("dynamodb.TransactWriteItems", 2) * 2
    return [
        "| Limit | Where it is | Figure | Past it |",
        "|---|---|---|---|",
        f"| Jobs per batch | `MAX_URLS` (seed) | {MAX_URLS} | 400 `validation_error`; the history limit of one "
        f"Standard execution ({SFN_HISTORY_LIMIT:,} events, ~{HISTORY_EVENTS_PER_JOB} a job) would allow "
        f"~{SFN_HISTORY_LIMIT // HISTORY_EVENTS_PER_JOB:,} jobs before a Distributed Map is needed |",
        "| Jobs running at once in a batch | `concurrent_limit` 1-10; Map `INLINE` | 10 (inline Maps run up to 40) | "
        "more needs a Distributed Map; the account's Lambda concurrency (1,000 by default, lower on new accounts) "
        "caps all batches together |",
        f"| Hottest DynamoDB key | the batch's partition `TENANT#t#BATCH#b` (batch item + job items) | "
        f"~{hot_writes:.0f} writes/s at the seed's ~{SEED_CONCURRENCY} concurrent jobs "
        f"({SEED_CONCURRENCY} progress writes/s + ~{finishing:.0f} jobs finishing/s x 2 transactions x ~2 items); "
        f"at today's cap of 10: ~{hot_writes * 10 / SEED_CONCURRENCY:.0f}/s | "
        f"one partition takes {PARTITION_WCU_PER_S:,} WCU/s: throttling from "
        f"~{PARTITION_WCU_PER_S * SEED_CONCURRENCY // hot_writes:.0f} "
        "concurrent jobs in one batch, and transactions on the batch item conflict (retried) well before; "
        "past that, progress must move to per-job partitions or be written less often |",
        "| File per download job | `MEDIABATCH_MAX_DOWNLOAD_BYTES`, `/tmp` 10 GiB | 4 GiB | "
        "the job fails with its size; "
        f"CPU alone allows ~{(timeout - 30 - m.job_wall_s) / s_per_gib:.0f} GiB in {timeout} s at {job_mb} MB "
        f"({s_per_gib:.0f} s/GiB), so the source's bandwidth binds first: a job must finish in {timeout - 30} s |",
        "| Files per upload batch / file size | `MAX_FILES_PER_BATCH`, 16 MiB parts | "
        f"{MAX_FILES_PER_BATCH} files, 100 GiB each | "
        "400; S3's 10,000 parts |",
        f"| Media processing of one file | MediaProcessingFunction `Timeout` {proc_timeout} s, 10 GiB `/tmp` | "
        f"H.264 remux: ~{(proc_timeout - 5) / PROCESSING_S['hls_copy_per_gib']:.0f} GiB (ASSUMED "
        f"{PROCESSING_S['hls_copy_per_gib']:.0f} s/GiB); a transcode is far slower (not measured) | "
        "the step times out and the item is marked failed; long transcodes need MediaConvert or Fargate |",
    ]


# ---------------------------------------------------------------------- output
def _table(title: str, lines: list[Line]) -> list[str]:
    out = [f"#### {title}", "", "| Item | Quantity | Unit | USD |", "|---|---:|---|---:|"]
    out += [f"| {ln.what} | {ln.quantity:,.0f} | {ln.unit} | {ln.usd:,.2f} |" for ln in lines]
    out += [f"| **Total** | | | **{sum(ln.usd for ln in lines):,.2f}** |", ""]
    return out


def render() -> str:
    fns, arch = template_functions()
    m = measured()
    job_s = download_job_seconds(int(fns["RunDownloadJobFunction"]["MemorySize"]), m)
    out = [
        START,
        "<!-- generated by `python -m bench.aws_cost`; edit the script, not this section -->",
        f"Prices: us-east-1 list prices as of {PRICES_AS_OF}. Free tiers are left out. "
        f"Architecture {arch} (template Globals). Measured inputs from {m.source}: a small job's function "
        f"wall time {m.job_wall_s:.2f} s, {m.cpu_s_per_gib} CPU-s per GiB downloaded, AWS calls a job "
        + ", ".join(f"{k} {v}" for k, v in sorted(m.calls_per_job.items()))
        + ". ASSUMED (not measured): "
        f"downloads average {AVG_DOWNLOAD_MIB} MiB (so ~{job_s:.0f} s a job at "
        f"{fns['RunDownloadJobFunction']['MemorySize']} MB), batches of {JOBS_PER_BATCH} polled "
        f"{POLLS_PER_BATCH} times, uploads of {UPLOAD_FILE_GIB} GiB H.264 files (HLS remux without "
        f"transcoding: {sum(PROCESSING_S.values()):.0f} s of processing a file).",
        "",
        *_table("1,000 download jobs", downloads(1000, fns, arch, m)),
        *_table("1,000 uploaded GiB", uploads(1000, fns, arch)),
    ]
    doc_lines = documents(1000, fns, arch)
    if doc_lines:
        out += _table("1,000 document pages", doc_lines)
    else:
        out += ["#### 1,000 document pages", "", "Not in this template.yaml (no document function): no figure.", ""]
    out += [
        "Not included: data transfer out when users fetch media ($0.09 a GB after the first 100 GB a month: "
        "1,000 GiB fetched once is ~$97, more than everything above), CloudWatch Logs ingestion ($0.50 a GB), "
        "the alarms ($0.10 each a month), X-Ray traces beyond the free tier.",
        "",
        "#### Limits at scale",
        "",
        *limits(fns, m),
        END,
    ]
    return "\n".join(out) + "\n"


def write(section: str, doc: Path = DOC) -> None:
    text = doc.read_text()
    if START not in text:
        raise SystemExit(f"{doc} has no {START} ... {END} section")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1].lstrip("\n")
    doc.write_text(head + section + "\n" + tail)


def main() -> None:
    section = render()
    print(section)
    write(section)


if __name__ == "__main__":
    main()
