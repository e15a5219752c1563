"""Show and playlist batches (seed: podcast-show-batches.md): what a feed or playlist expands
to, the request, and a batch as its owner reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mediabatch.downloads.models import BatchRecord, LinkedJob


class ShowRequest(BaseModel):
    """POST /jobs body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = Field(min_length=1, max_length=2048)
    folder: str | None = Field(None, max_length=200)
    webhook_url: str | None = None

    @field_validator("url")
    @classmethod
    def _strip(cls, url: str) -> str:
        return url.strip()


@dataclass(frozen=True)
class Episode:
    """One entry of a feed or playlist: where its media is, and its title there."""

    url: str
    title: str | None = None


@dataclass(frozen=True)
class Expansion:
    """What a URL is: a list (`is_list`: a feed, show or playlist, with its episodes in feed
    order) or one piece of media (one episode, the URL itself)."""

    is_list: bool
    episodes: list[Episode]
    title: str | None = None


class ShowStatus(StrEnum):
    """The seed's batch status values."""

    PROCESSING = "processing"  # some episodes may be complete
    COMPLETED = "completed"  # all episodes finished successfully
    FINISHED = "finished"  # all episodes done, but some failed

    @classmethod
    def of(cls, batch: BatchRecord) -> ShowStatus:
        if not batch.status.is_terminal:
            return cls.PROCESSING
        return cls.COMPLETED if failed_episodes(batch) == 0 else cls.FINISHED


def failed_episodes(batch: BatchRecord) -> int:
    """Failed or never run (a cancelled job did not deliver its episode either)."""
    return batch.failed_jobs + batch.cancelled_jobs


@dataclass(frozen=True)
class ShowBatch:
    """A show batch as its owner reads it."""

    batch: BatchRecord
    episode_jobs: list[str]

    @property
    def status(self) -> ShowStatus:
        return ShowStatus.of(self.batch)


@dataclass(frozen=True)
class Submission:
    """What POST /jobs made: a batch of episodes, or one job when the URL is one piece of media."""

    batch: ShowBatch
    single: LinkedJob | None = None
    episodes: list[Episode] = field(default_factory=list)


class ExpansionFailed(Exception):
    """The URL could not be read as a feed, playlist or media; `str()` is fit for users."""


class ExpansionTimedOut(Exception):
    """Extraction ran past its time limit."""
