"""One pool of `max_workers` threads shared by every file of a call: chunks of the first file
first, each file completed (POST /complete) once its chunks are through.

Only this thread touches the transfers' bookkeeping; the workers just send and report back
through their futures, so no file's state needs a lock beyond its URLs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from mediabatch_client.errors import UploadError
from mediabatch_client.transfer import FileTransfer, Job

__all__ = ["Scheduler"]

SendChunk = Callable[[FileTransfer, int, str, threading.Event], None]
Complete = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Scheduler:
    """Runs transfers to their end: `send` PUTs one chunk, `complete` is POST /complete."""

    max_workers: int
    send: SendChunk
    complete: Complete

    def run(self, transfers: Sequence[FileTransfer]) -> None:
        """Send every file's chunks on the pool, then complete each. A file's failure is kept on
        its transfer; anything else (KeyboardInterrupt, a bug) stops the chunks being sent at
        their next block and is raised."""
        for transfer in transfers:
            transfer.tracker.start()
        abort = threading.Event()
        pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="mediabatch-upload")
        running: dict[Future[Any], Job] = {}
        try:
            while True:
                self._submit_ready(pool, transfers, running, abort)
                if not running:
                    break
                ended, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in ended:
                    job = running.pop(future)
                    job.transfer.job_ended(job, future)
        except BaseException:
            abort.set()  # chunks being sent stop at their next block
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _submit_ready(
        self,
        pool: ThreadPoolExecutor,
        transfers: Sequence[FileTransfer],
        running: dict[Future[Any], Job],
        abort: threading.Event,
    ) -> None:
        """Fill the free workers, first file first."""
        for transfer in transfers:
            while len(running) < self.max_workers:
                job = self._next_job(transfer)
                if job is None:
                    break
                running[self._submit(pool, job, abort)] = job

    def _next_job(self, transfer: FileTransfer) -> Job | None:
        try:
            return transfer.next_job(self.max_workers)
        except UploadError as exc:
            transfer.fail(exc)
            return None

    def _submit(self, pool: ThreadPoolExecutor, job: Job, abort: threading.Event) -> Future[Any]:
        if job.index is None:
            return pool.submit(self.complete, job.transfer.session.upload_id)
        return pool.submit(self.send, job.transfer, job.index, job.url, abort)
