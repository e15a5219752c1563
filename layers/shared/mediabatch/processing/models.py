"""What processing learns about a video, what it records on the media item, and how it fails."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from pydantic import BaseModel, ConfigDict

from mediabatch.catalog.models import ProcessingState


class NotPlayableMedia(Exception):
    """The input is not a playable video (`str()` is a user-facing reason). The upload's fault:
    the state machine does not retry it (it matches errors by this class name)."""


class MediaToolFailed(Exception):
    """The media tool failed for another reason (timeout, missing binary, input not reachable,
    disk full): not the upload's fault, so the state machine retries it (by this class name)."""


@dataclass(frozen=True)
class ProbeResult:
    duration_seconds: float | None
    width: int | None  # as displayed (rotation applied)
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    format_name: str | None
    bit_rate: int | None
    rotation: int = 0  # display rotation in degrees: 0, 90, 180 or 270

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> ProbeResult:
        """The probe as the media item keeps it: absent values are not stored (a video without
        audio has no `audio_codec` key)."""
        values: dict[str, Any] = {f.name: stored.get(f.name) for f in fields(cls)}
        values["rotation"] = values.get("rotation") or 0
        return cls(**values)


class ProcessingChange(BaseModel):
    """The processing fields one step sets on its media item; fields it does not set stay as
    stored (the fields given, `None` included, are told apart from the fields left out)."""

    model_config = ConfigDict(frozen=True)

    state: ProcessingState | None = None
    error: str | None = None
    probe: ProbeResult | None = None
    thumbnail_key: str | None = None
    hls_playlist_key: str | None = None
    hls_segment_count: int | None = None

    @classmethod
    def running(cls) -> ProcessingChange:
        """A (re)started run: no error from an earlier one lingers."""
        return cls(state=ProcessingState.RUNNING, error=None)

    @classmethod
    def probed(cls, probe: ProbeResult) -> ProcessingChange:
        return cls(probe=probe)

    @classmethod
    def thumbnail_stored(cls, key: str) -> ProcessingChange:
        return cls(thumbnail_key=key)

    @classmethod
    def hls_packaged(cls, playlist_key: str, segment_count: int) -> ProcessingChange:
        return cls(hls_playlist_key=playlist_key, hls_segment_count=segment_count, state=ProcessingState.READY)

    @classmethod
    def failed(cls, error: str) -> ProcessingChange:
        return cls(state=ProcessingState.FAILED, error=error)

    def fields(self) -> dict[str, Any]:
        """The fields to write, as plain values (the probe as a mapping)."""
        return self.model_dump(mode="json", exclude_unset=True)
