"""Fakes of mediabatch.processing.ports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mediabatch.catalog.models import Processing
from mediabatch.processing.models import ProbeResult, ProcessingChange
from tests.fakes.catalog import InMemoryMediaItems

CLIP_PROBE = ProbeResult(
    duration_seconds=2.0,
    width=320,
    height=240,
    video_codec="h264",
    audio_codec=None,
    format_name="mov,mp4,m4a,3gp,3g2,mj2",
    bit_rate=250_000,
)


class InMemoryProcessedItems(InMemoryMediaItems):
    """Media items whose processing record changes as the DynamoDB table's does: only the fields
    a change sets, absent probe values not stored, and only on an item that exists."""

    def update_processing(self, tenant_id: str, media_id: str, change: ProcessingChange, updated_at: str) -> None:
        item = self.items[(tenant_id, media_id)]  # KeyError: the table's condition fails too
        fields = change.fields()
        if fields.get("probe") is not None:
            fields["probe"] = {k: v for k, v in fields["probe"].items() if v is not None}
        processing = Processing.model_validate(
            {**item.processing.model_dump(mode="json"), **fields, "updated_at": updated_at}
        )
        self.items[(tenant_id, media_id)] = item.model_copy(update={"processing": processing, "updated_at": updated_at})


class InMemoryStorage:
    """An object store in a dict (key -> bytes); links say which key they sign."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}

    def download_url(self, key: str, filename: str, ttl_seconds: int | None = None) -> str:
        return f"https://signed.test/{key}"

    def upload_file(self, path: Path, key: str, content_type: str) -> int:
        self.objects[key] = path.read_bytes()
        self.content_types[key] = content_type
        return len(self.objects[key])

    def upload_dir(self, local_dir: Path, prefix: str) -> list[str]:
        keys = []
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
            key = f"{prefix}/{path.relative_to(local_dir).as_posix()}"
            self.upload_file(path, key, "application/octet-stream")
            keys.append(key)
        return keys

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)


@dataclass
class FakeMediaTools:
    """Tools that write small stand-in outputs. `probe_result` (or `probe_error`, raised) is what
    probing any source says; `segments` is how many HLS segments packaging writes."""

    probe_result: ProbeResult = CLIP_PROBE
    probe_error: Exception | None = None
    segments: int = 2
    probed: list[str] = field(default_factory=list)
    probes_given: list[ProbeResult | None] = field(default_factory=list)

    def probe(self, source: str) -> ProbeResult:
        self.probed.append(source)
        if self.probe_error is not None:
            raise self.probe_error
        return self.probe_result

    def thumbnail(
        self,
        source: str,
        dest: Path,
        *,
        at_seconds: float | None = None,
        width: int = 640,
        probe: ProbeResult | None = None,
    ) -> Path:
        self.probes_given.append(probe)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"\xff\xd8\xff jpeg of " + source.encode() + b"\xff\xd9")
        return dest

    def package_hls(
        self, source: str, out_dir: Path, *, segment_seconds: int = 6, probe: ProbeResult | None = None
    ) -> list[Path]:
        self.probes_given.append(probe)
        out_dir.mkdir(parents=True, exist_ok=True)
        names = [f"seg_{i:05d}.ts" for i in range(self.segments)]
        for name in names:
            (out_dir / name).write_bytes(b"ts " + name.encode())
        playlist = out_dir / "index.m3u8"
        playlist.write_text("#EXTM3U\n" + "".join(f"#EXTINF:6.0,\n{n}\n" for n in names) + "#EXT-X-ENDLIST\n")
        return [playlist, *(out_dir / n for n in names)]
