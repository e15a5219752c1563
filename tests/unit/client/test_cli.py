"""The command line's exit statuses and messages, with a stand-in client (nothing is sent)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

import mediabatch_client.cli as cli
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
    monkeypatch.setattr(cli, "UploadClient", StandInClient)
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
        f"\tresume with: python -m mediabatch_client resume up-1 {movie}\n"
    )


def test_an_error_of_the_call_exits_1(movie: Path) -> None:
    StandInClient.outcome = UploadError("bad key", code="unauthorized", status=401)
    assert run("upload", str(movie)) == (1, "", "error: HTTP 401 unauthorized: bad key\n")


def test_an_interrupted_call_says_how_to_resume_and_exits_130(movie: Path) -> None:
    StandInClient.outcome = KeyboardInterrupt()
    code, _, err = run("upload", str(movie))
    assert code == 130
    assert err.splitlines() == [
        "interrupted; chunks already sent stay in S3 for a day. To continue:",
        f"  python -m mediabatch_client resume up-1 {movie}",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["upload", "movie.mp4", "--workers", "0"], "--workers must be at least 1"),
        (["upload", "no-such-file.mp4"], "not a file: no-such-file.mp4"),
    ],
)
def test_usage_errors_exit_2(
    movie: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    monkeypatch.chdir(movie.parent)
    with pytest.raises(SystemExit) as usage:
        run(*argv)
    assert usage.value.code == 2 and message in capsys.readouterr().err


def test_the_api_and_key_are_required(movie: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDIABATCH_API_KEY", raising=False)
    with pytest.raises(SystemExit) as usage:
        cli.main(["upload", str(movie), "--api", "http://api.test"], io.StringIO(), io.StringIO())
    assert usage.value.code == 2
