"""Where the command line finds the API and key: flag, then environment, then config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediabatch_client.cli.config import DEFAULT_API, UsageError, resolve


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("MEDIABATCH_API", "MEDIABATCH_API_URL", "MEDIABATCH_API_KEY", "MEDIABATCH_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "mediabatch").mkdir()
    config = tmp_path / "mediabatch" / "config.toml"
    config.write_text('api = "https://file.example"\napi_key = "file-key"\ntimeout = 5\nretries = 1\n')
    return config


def test_the_config_file_is_the_last_resort() -> None:
    s = resolve(None, None, None, None, None)
    assert (s.api, s.api_key, s.timeout, s.retries) == ("https://file.example", "file-key", 5.0, 1)


def test_the_environment_beats_the_file_and_flags_beat_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIABATCH_API_URL", "https://old.example")  # the old name still counts
    assert resolve(None, None, None, None, None).api == "https://old.example"
    monkeypatch.setenv("MEDIABATCH_API", "https://env.example/")
    monkeypatch.setenv("MEDIABATCH_API_KEY", "env-key")
    s = resolve(None, None, None, None, None)
    assert (s.api, s.api_key) == ("https://env.example", "env-key")
    s = resolve("http://flag.example", "flag-key", None, 9, 0)
    assert (s.api, s.api_key, s.timeout, s.retries) == ("http://flag.example", "flag-key", 9.0, 0)


def test_without_any_address_the_local_cloud_is_assumed(clean: Path) -> None:
    clean.write_text('api_key = "k"\n')
    assert resolve(None, None, None, None, None).api == DEFAULT_API


@pytest.mark.parametrize("content", ["api = [", 'api = "no-scheme.example"\napi_key = "k"'])
def test_a_bad_config_file_is_a_usage_error(clean: Path, content: str) -> None:
    clean.write_text(content)
    with pytest.raises(UsageError):
        resolve(None, None, None, None, None)
