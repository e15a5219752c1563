"""What show batches need from the outside world, beyond what batch downloads already need
(their repository, workflow, storage and URL policy: mediabatch.downloads.ports)."""

from __future__ import annotations

from typing import Protocol

from mediabatch.downloads.ports import BatchRepository, BatchWorkflow
from mediabatch.shows.models import Expansion


class FeedExpander(Protocol):
    """Reads a show, podcast feed (RSS/Atom) or playlist URL into its episodes without
    downloading any media (yt-dlp's flat extraction, behind the SSRF guard)."""

    def expand(self, url: str, *, timeout_seconds: float) -> Expansion:
        """Raises ExpansionFailed (with a message for users) and ExpansionTimedOut."""
        ...


# Show batches are batches: their jobs live in the batch repository, run through the job runner
# and end through the finalizer of mediabatch.downloads. Their workflow is another state machine
# (a Distributed Map over an item list in S3, for shows of hundreds of episodes) behind the same
# protocol.
ShowRepository = BatchRepository
ShowWorkflow = BatchWorkflow
