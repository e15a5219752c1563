"""The live views (rich): a batch's jobs with a bar each and the batch overall, redrawn as
they are polled; a show's episodes; a document job's files with their step and percentage;
one bar per uploaded file and one overall. On a terminal they redraw in place;
elsewhere (a log) rich prints the last state once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from mediabatch_client.models import UploadProgress
from mediabatch_client.progress_bar import human
from mediabatch_client.resources.batches import Batch, Job
from mediabatch_client.resources.documents import DocumentJobStatus
from mediabatch_client.resources.shows import EpisodeJob, ShowBatch

__all__ = ["UploadView", "batch_summary", "batch_view", "document_view", "follow", "show_summary", "show_view"]

T = TypeVar("T")

_STYLE = {
    "completed": "green",
    "failed": "red",
    "cancelled": "yellow",
    "running": "cyan",
    "processing": "cyan",
    "queued": "dim",
    "pending": "dim",
    "finished": "yellow",
    "partially_completed": "yellow",
}


def episode_failure(job: EpisodeJob) -> str:
    """A failed episode's reason, its stable `error_code` first."""
    return f"{job.error_code}: {job.error}" if job.error_code else str(job.error)


def show_view(batch: ShowBatch, episodes: list[EpisodeJob]) -> RenderableType:
    """Every episode (name, status, size, error with its code) and the batch overall."""
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("episode")
    table.add_column("status")
    table.add_column("size", justify="right")
    for job in episodes:
        table.add_row(
            Text(job.name, overflow="ellipsis", no_wrap=True),
            Text(job.status, style=_STYLE.get(job.status, "")),
            human(job.file.size_bytes) if job.file else "",
        )
        if job.error:
            table.add_row(Text(f"  {episode_failure(job)}", style="red", overflow="fold"), "", "")
    overall = Text.assemble(
        (f"show batch {batch.id} ", "bold"),
        (batch.status, _STYLE.get(batch.status, "")),
        f"  {batch.completed_episodes + batch.failed_episodes}/{batch.total_episodes} episodes done  "
        f"overall {batch.percent:.0f}%",
    )
    return Group(table, overall)


def show_summary(batch: ShowBatch) -> str:
    return (
        f"show batch {batch.id} {batch.status}: {batch.completed_episodes} completed, "
        f"{batch.failed_episodes} failed of {batch.total_episodes}"
    )


def document_view(job: DocumentJobStatus) -> RenderableType:
    """Every file of a document job: status, current step, a bar of its percentage, error."""
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("file")
    table.add_column("status")
    table.add_column("step")
    table.add_column("progress", width=24)
    table.add_column("%", justify="right")
    for f in job.files_state():
        table.add_row(
            Text(f.name, overflow="ellipsis", no_wrap=True),
            Text(f.status, style=_STYLE.get(f.status, "")),
            f.step,
            ProgressBar(total=100, completed=f.percentage, width=24),
            f"{f.percentage:.0f}%",
        )
        if f.error:
            table.add_row(Text(f"  {f.error}", style="red", overflow="fold"), "", "", "", "")
    overall = Text.assemble(
        (f"job {job.job_id} ", "bold"), (job.status, _STYLE.get(job.status, "")), f"  overall {job.percent:.0f}%"
    )
    return Group(table, overall)


def _job_percent(job: Job) -> float:
    return 100.0 if job.status == "completed" else job.progress.percent


def _job_size(job: Job) -> str:
    done, total = job.progress.downloaded_bytes, job.progress.total_bytes
    if job.file_info is not None:
        return human(job.file_info.size_bytes)
    return f"{human(done)}/{human(total)}" if total else (human(done) if done else "")


def batch_view(batch: Batch) -> RenderableType:
    """Every job (name, status, bar, percent, bytes, error) and the batch overall."""
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("job")
    table.add_column("status")
    table.add_column("progress", width=24)
    table.add_column("%", justify="right")
    table.add_column("size", justify="right")
    for job in batch.jobs:
        percent = _job_percent(job)
        table.add_row(
            Text(job.name, overflow="ellipsis", no_wrap=True),
            Text(job.status, style=_STYLE.get(job.status, "")),
            ProgressBar(total=100, completed=percent, width=24),
            f"{percent:.0f}%",
            _job_size(job),
        )
        if job.error:
            reason = f"{job.error_code}: {job.error}" if job.error_code else job.error
            table.add_row(Text(f"  {reason}", style="red", overflow="fold"), "", "", "", "")
    overall = Text.assemble(
        (f"batch {batch.batch_id} ", "bold"),
        (batch.status, _STYLE.get(batch.status, "")),
        f"  {batch.completed_jobs + batch.failed_jobs + batch.cancelled_jobs}/{batch.total_jobs} jobs done  "
        f"overall {batch.percent:.0f}%",
    )
    return Group(table, overall)


def batch_summary(batch: Batch) -> str:
    """The one line a finished batch comes to."""
    took = f" in {batch.duration_sec:.1f} s" if batch.duration_sec is not None else ""
    return (
        f"batch {batch.batch_id} {batch.status}: {batch.completed_jobs} completed, {batch.failed_jobs} failed, "
        f"{batch.cancelled_jobs} cancelled of {batch.total_jobs}{took}"
    )


class UploadView:
    """A bar per file and one overall, fed by UploadClient's progress callbacks (any thread)."""

    def __init__(self, progress: Progress, files: list[tuple[Path, int]]) -> None:
        self.progress = progress
        self._lock = threading.Lock()
        self._tasks: dict[Path, TaskID] = {
            path: progress.add_task(path.name, total=max(1, size)) for path, size in files
        }
        self._done: dict[Path, int] = {}
        self._completed: set[Path] = set()
        self._overall = progress.add_task(self._files_done(), total=max(1, sum(s for _, s in files)))

    def _files_done(self) -> str:
        return f"[bold]{len(self._completed)}/{len(self._tasks)} files"

    @staticmethod
    def new_progress(console_file: object) -> Progress:
        from rich.console import Console

        return Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TextColumn("{task.percentage:>5.1f}%"),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(file=console_file),  # type: ignore[arg-type]
            refresh_per_second=8,
        )

    def __call__(self, update: UploadProgress) -> None:
        with self._lock:
            task = self._tasks.get(update.path)
            if task is None:
                return
            self._done[update.path] = update.bytes_done
            if update.completed:
                self._completed.add(update.path)
            label = f"{update.filename} [green]done" if update.completed else update.filename
            self.progress.update(task, completed=update.bytes_done, description=label)
            self.progress.update(self._overall, completed=sum(self._done.values()), description=self._files_done())


def follow(
    console: Console | None,
    wait: Callable[[], T],
    watch: Callable[[], Iterable[T]],
    view: Callable[[T], RenderableType],
) -> T:
    """The last state of something being polled until it ends: drawn live on `console` with
    `view` as each state comes (`watch`), or, with no console (--json, --quiet), waited for
    quietly (`wait`). Ctrl-C reaches the caller."""
    if console is None:
        return wait()
    last: T | None = None
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        for last in watch():
            live.update(view(last), refresh=True)
    assert last is not None
    return last
