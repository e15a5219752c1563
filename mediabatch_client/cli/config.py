"""Where the command line finds the API and the key: a flag, else the environment
(`MEDIABATCH_API`, the older `MEDIABATCH_API_URL`, `MEDIABATCH_API_KEY`), else the config file
(`--config`, `$MEDIABATCH_CONFIG`, else ~/.config/mediabatch/config.toml):

    api = "https://api.example.com"
    api_key = "..."
    timeout = 60      # seconds to wait for an answer
    retries = 3       # further attempts on connection errors, 429 and 5xx
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["DEFAULT_API", "Settings", "UsageError", "check_url", "config_path", "resolve"]

DEFAULT_API = "http://127.0.0.1:8080"  # `make run`


class UsageError(Exception):
    """The command line was used wrongly (exit status 2)."""


@dataclass(frozen=True)
class Settings:
    api: str
    api_key: str
    timeout: float
    retries: int


def config_path(flag: str | None) -> Path:
    if flag:
        return Path(flag)
    if os.environ.get("MEDIABATCH_CONFIG"):
        return Path(os.environ["MEDIABATCH_CONFIG"])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "mediabatch" / "config.toml"


def _file_settings(path: Path, explicit: bool) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        if explicit:
            raise UsageError(f"config file not found: {path}") from None
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from None


def check_url(url: str, what: str = "URL") -> str:
    """`url` if it has an http(s) scheme and a host; else a usage error that says what to type."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        hint = f" (did you mean https://{url}?)" if "://" not in url else ""
        raise UsageError(f"{what} must start with http:// or https://: {url}{hint}")
    return url


def resolve(
    api: str | None,
    api_key: str | None,
    config: str | None,
    timeout: float | None,
    retries: int | None,
    *,
    key_required: bool = True,
) -> Settings:
    """The settings, each from the first place that has it: flag, environment, config file.
    `key_required=False`: commands that take another credential (`mediabatch admin`)."""
    explicit = bool(config or os.environ.get("MEDIABATCH_CONFIG"))
    file = _file_settings(config_path(config), explicit)
    url = api or os.environ.get("MEDIABATCH_API") or os.environ.get("MEDIABATCH_API_URL") or file.get("api")
    key = api_key or os.environ.get("MEDIABATCH_API_KEY") or file.get("api_key")
    if not key and key_required:
        raise UsageError(
            "no API key: pass --key, set MEDIABATCH_API_KEY, or put api_key in " + str(config_path(config))
        )
    return Settings(
        api=check_url(str(url or DEFAULT_API), "the API address").rstrip("/"),
        api_key=str(key or ""),
        timeout=float(timeout if timeout is not None else file.get("timeout", 60)),
        retries=int(retries if retries is not None else file.get("retries", 3)),
    )
