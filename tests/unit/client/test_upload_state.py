"""`Uploads.upload` with a state file: a file whose upload was begun is resumed from its
uploadId, a stale one is started anew, and the entry goes once the file is completed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mediabatch_client.errors import BatchUploadError, UploadError
from mediabatch_client.models import UploadProgress, UploadResult
from mediabatch_client.resources.uploads import Uploads
from mediabatch_client.upload_state import UploadState, default_state_path


class StandInClient:
    """Records what was asked; `resume_error` is raised by resume, `fail` names files that fail."""

    def __init__(self, resume_error: UploadError | None = None, fail: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.calls: list[tuple[str, Any]] = []
        self.resume_error = resume_error
        self.fail = fail

    def _progress(self, path: Path, upload_id: str, on_progress: Any, completed: bool) -> None:
        on_progress(UploadProgress(path, path.name, upload_id, 0, 10, 0, 1, completed=completed))

    def upload_files(self, paths: list[Path], channel_id: str | None = None, on_progress: Any = None) -> Any:
        self.calls.append(("upload", [p.name for p in paths]))
        results, errors = [], {}
        for path in paths:
            self._progress(path, f"up-{path.name}", on_progress, completed=False)
            if path.name in self.fail:
                errors[path] = UploadError("part failed", code="parts_failed", upload_id=f"up-{path.name}")
            else:
                results.append(UploadResult(path, f"up-{path.name}", "f", media={"id": f"m-{path.name}"}))
        if errors:
            raise BatchUploadError(results, errors)
        return results

    def resume(self, upload_id: str, path: Path, on_progress: Any = None) -> UploadResult:
        self.calls.append(("resume", upload_id))
        if self.resume_error is not None:
            raise self.resume_error
        return UploadResult(path, upload_id, "f", media={"id": "m-resumed"}, resumed=True)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for p in paths:
        p.write_bytes(b"0123456789")
    return paths


def test_a_failed_upload_is_remembered_and_resumed_next_time(files: list[Path], tmp_path: Path) -> None:
    state = UploadState(tmp_path / "state.json")
    with pytest.raises(BatchUploadError):
        Uploads(StandInClient(fail={"b.mp4"})).upload(files, state=state)  # type: ignore[arg-type]
    assert state.upload_id(files[0]) is None  # completed: forgotten
    assert state.upload_id(files[1]) == "up-b.mp4"

    client = StandInClient()
    results = Uploads(client).upload(files, state=state)  # type: ignore[arg-type]
    assert client.calls == [("resume", "up-b.mp4"), ("upload", ["a.mp4"])]
    assert [r.media_id for r in results] == ["m-a.mp4", "m-resumed"]  # in the order given
    assert state.upload_id(files[1]) is None


def test_a_stale_upload_starts_anew(files: list[Path], tmp_path: Path) -> None:
    state = UploadState(tmp_path / "state.json")
    state.remember(files[0], "up-old")
    client = StandInClient(resume_error=UploadError("gone", code="upload_not_found"))
    results = Uploads(client).upload(files[:1], state=state)  # type: ignore[arg-type]
    assert client.calls == [("resume", "up-old"), ("upload", ["a.mp4"])]
    assert results[0].media_id == "m-a.mp4"


def test_a_changed_file_is_a_new_upload(files: list[Path], tmp_path: Path) -> None:
    state = UploadState(tmp_path / "state.json")
    state.remember(files[0], "up-1")
    files[0].write_bytes(b"another size")
    assert state.upload_id(files[0]) is None


def test_the_state_file_is_found_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDIABATCH_STATE", str(tmp_path / "s.json"))
    assert default_state_path() == tmp_path / "s.json"
    monkeypatch.delenv("MEDIABATCH_STATE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_path() == tmp_path / "mediabatch" / "uploads.json"
