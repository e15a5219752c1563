"""A small JSON file remembering which upload each local file is in, so that running the same
upload again resumes it (the command line writes it; any script may).

An entry is keyed by the file's absolute path, size and modification time (a file changed since
is a new upload), holds the uploadId the server gave, and goes once the upload completes. Each
write replaces the file atomically, so an interrupted process never leaves it half written."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

__all__ = ["UploadState", "default_state_path"]


def default_state_path() -> Path:
    """$MEDIABATCH_STATE, else $XDG_STATE_HOME/mediabatch/uploads.json (~/.local/state/...)."""
    if os.environ.get("MEDIABATCH_STATE"):
        return Path(os.environ["MEDIABATCH_STATE"])
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "mediabatch" / "uploads.json"


def _key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


class UploadState:
    """The uploads begun from this machine and not yet completed."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_state_path()
        self._lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".uploads-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def upload_id(self, path: Path) -> str | None:
        """The unfinished upload of this file (as it is now), if any."""
        with self._lock:
            return self._read().get(_key(path))

    def remember(self, path: Path, upload_id: str) -> None:
        with self._lock:
            data = self._read()
            if data.get(_key(path)) != upload_id:
                data[_key(path)] = upload_id
                self._write(data)

    def forget(self, path: Path) -> None:
        with self._lock:
            data = self._read()
            if data.pop(_key(path), None) is not None:
                self._write(data)
