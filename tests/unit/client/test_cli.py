"""The upload commands' exit statuses and messages, with a stand-in client (nothing is sent)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import mediabatch_client.cli as cli
import mediabatch_client.cli.commands.uploads as uploads_command
from mediabatch_client.errors import BatchUploadError, PartUploadError, UploadError
from mediabatch_client.models import UploadProgress, UploadResult


class StandInClient:
    """Takes UploadClient's place: answers (or raises) what the test set in `outcome`."""

    outcome: Any = None

    def __init__(self, *_: Any, **__: Any) -> None:
        pass

    def __enter__(self) -> StandInClient:
        return self

    def __exit__(self, *_: Any) -> None:
        pass

    def upload_files(self, paths: list[Path], channel_id: str | None = None, on_progress: Any = None) -> Any:
        if on_progress is not None:
            on_progress(UploadProgress(paths[0], paths[0].name, "up-1", 0, 10, 0, 1))
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome

    def resume(self, upload_id: str, path: Path, on_progress: Any = None) -> Any:
        return self.upload_files([path], on_progress=on_progress)[0]


@pytest.fixture
def movie(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(uploads_command, "UploadClient", StandInClient)
    monkeypatch.setenv("MEDIABATCH_STATE", str(tmp_path / "state.json"))
    path = tmp_path / "movie.mp4"
    path.write_bytes(b"0123456789")
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([*argv, "--api", "http://api.test", "--key", "k", "--quiet"], out, err)
    return code, out.getvalue(), err.getvalue()


def result(path: Path) -> UploadResult:
    return UploadResult(path, "up-1", "f-1", media={"id": "media-1", "size": 10})


def test_an_uploaded_file_is_one_line_on_stdout(movie: Path) -> None:
    StandInClient.outcome = [result(movie)]
    assert run("upload", str(movie)) == (0, "movie.mp4\tmedia media-1\tupload up-1\t10 B\n", "")
    assert run("resume", "up-1", str(movie))[0] == 0


def test_a_failed_file_is_told_with_how_to_resume_it_and_exits_1(movie: Path) -> None:
    error = PartUploadError("1 chunk failed", failed_chunks=[0], causes={0: "x"}, upload_id="up-1", path=movie)
    StandInClient.outcome = BatchUploadError([], {movie: error})
    code, out, err = run("upload", str(movie))
    assert (code, out) == (1, "")
    assert err == (
        f"movie.mp4\tFAILED\tparts_failed: 1 chunk failed (upload up-1)\n"
        f"\tresume with: mediabatch resume up-1 {movie}\n"
    )


def test_an_authentication_error_exits_3(movie: Path) -> None:
    StandInClient.outcome = UploadError("bad key", code="unauthorized", status=401)
    assert run("upload", str(movie)) == (3, "", "error: unauthorized: bad key\n")


def test_an_interrupted_call_says_how_to_resume_and_exits_130(movie: Path) -> None:
    StandInClient.outcome = KeyboardInterrupt()
    code, _, err = run("upload", str(movie))
    assert code == 130
    assert err.splitlines() == [
        "interrupted; chunks already sent stay in S3 for a day. To continue, run the same command again, or:",
        f"  mediabatch resume up-1 {movie}",
    ]


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Exit status and stderr of a misused command line (argparse's own checks exit, ours return)."""
    try:
        code, _, err = run(*argv)
    except SystemExit as exc:
        return int(exc.code or 0), capsys.readouterr().err
    return code, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["upload", "movie.mp4", "--workers", "0"], "argument --parallel/--workers: must be at least 1, not 0"),
        (["upload", "movie.mp4", "--parallel", "x"], "argument --parallel/--workers: not a whole number: 'x'"),
        (["upload", "no-such-file.mp4"], "error: usage: not a file: no-such-file.mp4"),
        (["download", "example.com/a.mp4"], "must start with http:// or https://: example.com/a.mp4 (did you mean"),
        (["download"], "error: usage: no URLs: give them as arguments or with -f FILE"),
    ],
)
def test_usage_errors_exit_2(
    movie: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    monkeypatch.chdir(movie.parent)
    code, err = usage_error(capsys, *argv)
    assert code == 2 and message in err


def test_the_key_is_required(movie: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MEDIABATCH_API_KEY", raising=False)
    monkeypatch.setenv("MEDIABATCH_CONFIG", str(tmp_path / "none.toml"))
    err = io.StringIO()
    assert cli.main(["upload", str(movie), "--api", "http://api.test"], io.StringIO(), err) == 2
    assert "error: usage: config file not found" in err.getvalue()
    monkeypatch.delenv("MEDIABATCH_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    err = io.StringIO()
    assert cli.main(["upload", str(movie), "--api", "http://api.test"], io.StringIO(), err) == 2
    assert err.getvalue().startswith("error: usage: no API key: pass --key, set MEDIABATCH_API_KEY")


def test_an_api_address_without_scheme_is_a_usage_error(movie: Path) -> None:
    err = io.StringIO()
    assert cli.main(["upload", str(movie), "--api", "api.test:8080", "--key", "k"], io.StringIO(), err) == 2
    assert err.getvalue() == (
        "error: usage: the API address must start with http:// or https://: api.test:8080 "
        "(did you mean https://api.test:8080?)\n"
    )
