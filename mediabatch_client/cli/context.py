"""What a command runs with: the output, the settings, and the SDK client (made on first use,
so usage errors are told before anything is sent)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mediabatch_client.cli.config import Settings
from mediabatch_client.cli.output import Output
from mediabatch_client.sdk import MediaBatch

__all__ = ["Context"]


@dataclass
class Context:
    settings: Settings
    out: Output
    _client: MediaBatch | None = field(default=None, init=False)

    @property
    def client(self) -> MediaBatch:
        if self._client is None:
            s = self.settings
            self._client = MediaBatch(s.api, s.api_key, timeout=(10.0, s.timeout), retries=s.retries)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
