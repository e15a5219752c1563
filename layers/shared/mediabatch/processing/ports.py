"""What media processing needs from the outside world."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from mediabatch.catalog.models import MediaItem
from mediabatch.processing.models import ProbeResult, ProcessingChange


class ProcessedMediaItems(Protocol):
    """Media items: read one, record a step's result on it."""

    def get(self, tenant_id: str, media_id: str) -> MediaItem | None: ...

    def update_processing(self, tenant_id: str, media_id: str, change: ProcessingChange, updated_at: str) -> None:
        """Set the change's fields (and `updated_at`) on an existing item's processing record."""
        ...


class ProcessingStorage(Protocol):
    """The object store holding uploads and what processing makes of them."""

    def download_url(self, key: str, filename: str, ttl_seconds: int | None = None) -> str:
        """A short-lived GET URL: the tools stream the source from it instead of copying it."""
        ...

    def upload_file(self, path: Path, key: str, content_type: str) -> int: ...

    def upload_dir(self, local_dir: Path, prefix: str) -> list[str]:
        """Every file below `local_dir`, at `prefix/<relative path>`; returns the keys."""
        ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def delete(self, keys: list[str]) -> None: ...


class MediaTools(Protocol):
    """Probe, thumbnail and HLS packaging of a video given as an http(s) URL or a local path.

    Each raises NotPlayableMedia when the input is not a playable video and MediaToolFailed
    for anything that is not the input's fault."""

    def probe(self, source: str) -> ProbeResult: ...

    def thumbnail(
        self,
        source: str,
        dest: Path,
        *,
        at_seconds: float | None = None,
        width: int = 640,
        probe: ProbeResult | None = None,
    ) -> Path:
        """Write one JPEG frame to `dest` and return it."""
        ...

    def package_hls(
        self, source: str, out_dir: Path, *, segment_seconds: int = 6, probe: ProbeResult | None = None
    ) -> list[Path]:
        """Write an HLS playlist and its segments into `out_dir`: the playlist first, then the
        segments."""
        ...
