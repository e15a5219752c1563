"""Which code a benchmark's figures belong to: each benchmark declares the files it measures
(`MEASURES`, globs relative to the repository root), and its table in docs/performance.md
records the commit and a hash of those files' contents. tests/test_performance_is_current.py
recomputes the hash, so figures measured on other code cannot pass as current.

Patterns: `*` matches within one path component, `**` any number of components (also none),
`?` one character; a pattern starting with `!` removes what it matches from the files the
patterns before it selected. Folders named `__pycache__` or starting with a dot are skipped.
Deliberately free of heavy imports (no local cloud, no requests): the test only hashes."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HASH_CHARS = 12  # of the sha256 hex digest: collisions among a repository's versions are not a concern


def _regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _walk_root(pattern: str) -> str:
    """The longest leading folder of a pattern that has no wildcard: where to start looking."""
    parts = pattern.split("/")
    fixed = []
    for part in parts[:-1]:
        if any(c in part for c in "*?"):
            break
        fixed.append(part)
    return "/".join(fixed)


def _candidates(root: Path, pattern: str) -> Iterable[str]:
    start = _walk_root(pattern)
    if not any(c in pattern for c in "*?"):
        if (root / pattern).is_file():
            yield pattern
        return
    base = root / start if start else root
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        rel_folder = Path(folder).relative_to(root).as_posix()
        for name in files:
            yield name if rel_folder == "." else f"{rel_folder}/{name}"


def measured_files(patterns: Sequence[str], root: Path = REPO_ROOT) -> list[str]:
    """The files (relative POSIX paths, sorted) the patterns select under root."""
    selected: set[str] = set()
    for pattern in patterns:
        if pattern.startswith("!"):
            drop = _regex(pattern[1:])
            selected = {path for path in selected if not drop.match(path)}
            continue
        keep = _regex(pattern)
        selected |= {path for path in _candidates(root, pattern) if keep.match(path)}
    return sorted(selected)


def code_hash(files: Sequence[str], root: Path = REPO_ROOT) -> str:
    """sha256 over the sorted relative paths and the contents of the files, shortened."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        content = (root / rel).read_bytes()
        digest.update(f"{rel}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()[:HASH_CHARS]


def git_pathspecs(patterns: Sequence[str]) -> list[str]:
    """The same patterns as git pathspecs (`:(glob)` has the same `*` and `**`)."""
    return [f":(exclude,glob){p[1:]}" if p.startswith("!") else f":(glob){p}" for p in patterns]


def _git(args: list[str], root: Path) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def commit_of(patterns: Sequence[str], root: Path = REPO_ROOT) -> str:
    """`git rev-parse --short HEAD`, with `+dirty` when a measured file differs from HEAD
    (modified, added, deleted or untracked); "unknown" outside a git checkout."""
    head = _git(["rev-parse", "--short", "HEAD"], root)
    if head is None:
        return "unknown"
    status = _git(["status", "--porcelain", "--untracked-files=all", "--", *git_pathspecs(patterns)], root)
    return head.strip() + ("+dirty" if status is None or status.strip() else "")


def changed_since(commit: str, patterns: Sequence[str], root: Path = REPO_ROOT) -> list[str] | None:
    """Measured files that differ between `commit` and the working tree (untracked ones
    included); None when git cannot say (no checkout, unknown commit)."""
    commit = commit.removesuffix("+dirty")
    specs = git_pathspecs(patterns)
    diff = _git(["diff", "--name-only", commit, "--", *specs], root)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "--", *specs], root)
    if diff is None or untracked is None:
        return None
    return sorted(set(diff.split()) | set(untracked.split()))


@dataclass(frozen=True)
class Fingerprint:
    commit: str
    code_hash: str
    files: int


def fingerprint(patterns: Sequence[str], root: Path = REPO_ROOT) -> Fingerprint:
    files = measured_files(patterns, root)
    return Fingerprint(commit_of(patterns, root), code_hash(files, root), len(files))


# ------------------------------------------------------------------ what the benchmarks measure
# The local cloud every benchmark starts: the template (functions, state machines, memory sizes),
# the emulator, the shared modules every function loads, the benchmarks' own plumbing.
LOCAL_CLOUD = (
    "template.yaml",
    "requirements.txt",
    "layers/shared/requirements.txt",
    "localcloud/**/*.py",
    "layers/shared/mediabatch/*.py",
    "layers/shared/mediabatch/adapters/*.py",
    "bench/common.py",
    "bench/_run_one.py",
    "tests/support/media.py",
)

# Document batches: their domain package and adapters (no other benchmark runs them).
_DOCUMENT_CODE = (
    "layers/shared/mediabatch/documents/**",
    "layers/shared/mediabatch/adapters/pdf/**",
    "layers/shared/mediabatch/adapters/pptx/**",
    "layers/shared/mediabatch/adapters/embeddings/**",
    "layers/shared/mediabatch/adapters/chroma/**",
    "layers/shared/mediabatch/adapters/**/document_*",
)

# What a download job runs: every package of the layer except the upload and processing ones
# (a package added later counts by default), and the media server the files come from.
_DOWNLOAD_CODE = (
    "layers/shared/mediabatch/**/*.py",
    "!layers/shared/mediabatch/uploads/**",
    "!layers/shared/mediabatch/processing/**",
    "!layers/shared/mediabatch/adapters/ffmpeg/**",
    "!layers/shared/mediabatch/adapters/**/upload_session*",
    *("!" + p for p in _DOCUMENT_CODE),
    "bench/_serve.py",
    "tests/support/media_server.py",
    "tests/support/_http_server.py",
)

# One download job, its handler called directly (bench/_job_probe.py): no API, no state machine.
DOWNLOAD_JOB = (*LOCAL_CLOUD, *_DOWNLOAD_CODE, "functions/download_job/**/*.py")

# Batch downloads through the API: also the functions a batch runs (API, job, crash, finalize;
# the webhook sender sees the batch's events), its state machine, the phase tracer.
DOWNLOAD_BATCH = (
    *LOCAL_CLOUD,
    *_DOWNLOAD_CODE,
    "functions/**/*.py",
    "!functions/media_processing/**",
    "!functions/document_embedding/**",
    "statemachines/batch_download.asl.json",
    "bench/tracing.py",
)

# Uploads: the client, and every package of the layer except the download ones; completing an
# upload registers the media item, publishes an event and starts processing in the cloud.
UPLOAD = (
    *LOCAL_CLOUD,
    "mediabatch_client/**/*.py",
    "layers/shared/mediabatch/**/*.py",
    "!layers/shared/mediabatch/downloads/**",
    "!layers/shared/mediabatch/adapters/ytdlp/**",
    "!layers/shared/mediabatch/adapters/dynamodb/batch*",
    *("!" + p for p in _DOCUMENT_CODE),
    "functions/**/*.py",
    "!functions/document_embedding/**",
    "!functions/download_job/**",
    "!functions/finalize_batch/**",
    "!functions/job_crash/**",
    "statemachines/media_processing.asl.json",
)

# Document embedding (bench/documents.py): the pipeline and its adapters run in-process on the
# corpus, against a naive pipeline; the requirements pin the model, torch and Chroma; the
# template sets the concurrency and chunking the bench uses by default.
DOCUMENTS = (
    *LOCAL_CLOUD,
    "requirements-documents.txt",
    "layers/shared/mediabatch/documents/**/*.py",
    "layers/shared/mediabatch/adapters/pdf/**/*.py",
    "layers/shared/mediabatch/adapters/pptx/**/*.py",
    "layers/shared/mediabatch/adapters/embeddings/**/*.py",
    "layers/shared/mediabatch/adapters/chroma/**/*.py",
    "tests/fakes/documents.py",
    "bench/documents.py",
)
