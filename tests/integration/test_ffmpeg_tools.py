"""The ffmpeg adapter on real files made by ffmpeg, read from disk and over HTTP: probe,
thumbnail, HLS packaging, and what happens with things that are not videos."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediabatch.adapters.ffmpeg.tools import FfmpegTools
from mediabatch.processing.models import MediaToolFailed, NotPlayableMedia, ProbeResult
from tests.support.media import FFMPEG, FFPROBE, MediaSet, ffprobe, make_media, make_sized_file
from tests.support.media_server import MediaServer

pytestmark = pytest.mark.integration

TOOLS = FfmpegTools(ffmpeg=FFMPEG, ffprobe=FFPROBE, timeout_seconds=60)


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaSet:
    return make_media(tmp_path_factory.mktemp("ffmpeg-media"))


@pytest.fixture(scope="module")
def server(media: MediaSet) -> Iterator[MediaServer]:
    with MediaServer(media.root) as running:
        yield running


@pytest.fixture(scope="module")
def odd_files(media: MediaSet) -> dict[str, Path]:
    """Extra inputs next to the media set (so the server serves them too)."""
    root = media.root
    files = {
        "random": make_sized_file(root / "random.mp4", 200_000, seed=7),
        "text": root / "notes.txt",
        "empty": root / "empty.mp4",
        "audio": root / "tone.m4a",
        "cover": root / "song-with-cover.m4a",
        "mp3": root / "tone.mp3",
        "mpeg4": root / "mpeg4-opus.mkv",
        "rotated": root / "portrait.mp4",
        "playlist": root / "evil.m3u8",
    }
    files["text"].write_text("this is a text file, not a video\n" * 50)
    files["empty"].write_bytes(b"")
    sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"]
    _ffmpeg(*sine, "-c:a", "aac", str(files["audio"]))
    _ffmpeg(
        *sine,
        "-f",
        "lavfi",
        "-i",
        "color=size=64x64:duration=1",
        "-map",
        "0",
        "-map",
        "1",
        "-frames:v",
        "1",
        "-c:a",
        "aac",
        "-c:v",
        "mjpeg",
        "-disposition:v:0",
        "attached_pic",
        str(files["cover"]),
    )
    _ffmpeg(*sine, "-c:a", "libmp3lame", str(files["mp3"]))
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=321x241:rate=25:duration=2",
        *sine,
        "-c:v",
        "mpeg4",
        "-q:v",
        "5",
        "-c:a",
        "libopus",
        "-shortest",
        str(files["mpeg4"]),
    )
    _ffmpeg("-i", str(media.clip), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(files["rotated"]))
    # An uploaded "video" that is really a playlist pointing ffmpeg somewhere else.
    files["playlist"].write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nhls/seg000.ts\n#EXT-X-ENDLIST\n"
    )
    return files


def _source(kind: str, path: Path, server: MediaServer) -> str:
    return str(path) if kind == "local" else server.url(path.relative_to(server.root).as_posix())


def _video(info: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in info["streams"] if s["codec_type"] == "video")


def _audio(info: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in info["streams"] if s["codec_type"] == "audio")


def _playlist_entries(playlist: Path) -> list[str]:
    return [ln.strip() for ln in playlist.read_text().splitlines() if ln.strip() and not ln.startswith("#")]


# ----------------------------------------------------------------------------- probe
@pytest.mark.parametrize("kind", ["local", "http"])
def test_probe_describes_the_clip(kind: str, media: MediaSet, server: MediaServer) -> None:
    server.clear_log()
    result = TOOLS.probe(_source(kind, media.clip, server))

    assert result.duration_seconds == pytest.approx(2.0, abs=0.15)
    assert (result.width, result.height) == (320, 240)
    assert (result.video_codec, result.audio_codec) == ("h264", "aac")
    assert result.format_name is not None and "mp4" in result.format_name.split(",")
    assert result.bit_rate is not None and result.bit_rate > 0
    assert result.rotation == 0
    assert result.as_dict() == {
        "duration_seconds": result.duration_seconds,
        "width": 320,
        "height": 240,
        "video_codec": "h264",
        "audio_codec": "aac",
        "format_name": result.format_name,
        "bit_rate": result.bit_rate,
        "rotation": 0,
    }
    if kind == "http":
        assert ("GET", "/clip.mp4") in server.requests


def test_probe_reports_a_portrait_phone_video_as_portrait(odd_files: dict[str, Path]) -> None:
    result = TOOLS.probe(str(odd_files["rotated"]))

    assert (result.width, result.height) == (240, 320)
    assert result.rotation in (90, 270)


# ----------------------------------------------------------------------------- thumbnail
def _assert_jpeg(path: Path, width: int, height: int) -> None:
    data = path.read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"
    stream = ffprobe(path)["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("mjpeg", width, height)


def test_thumbnail_over_http_is_a_jpeg_of_the_requested_width(
    media: MediaSet, server: MediaServer, tmp_path: Path
) -> None:
    dest = tmp_path / "thumbs" / "clip.jpg"

    written = TOOLS.thumbnail(server.url("clip.mp4"), dest, width=160)

    assert written == dest
    _assert_jpeg(dest, 160, 120)
    assert [p.name for p in dest.parent.iterdir()] == ["clip.jpg"]  # no temporary file left


def test_thumbnail_at_a_given_time_from_a_local_file(media: MediaSet, tmp_path: Path) -> None:
    dest = tmp_path / "clip.jpg"

    TOOLS.thumbnail(
        str(media.clip), dest, at_seconds=1.5, width=200, probe=ProbeResult(2.0, 320, 240, "h264", "aac", None, None)
    )

    _assert_jpeg(dest, 200, 150)


def test_a_failed_thumbnail_leaves_the_previous_file_alone(odd_files: dict[str, Path], tmp_path: Path) -> None:
    dest = tmp_path / "thumb.jpg"
    dest.write_bytes(b"previous thumbnail")

    with pytest.raises(NotPlayableMedia):
        TOOLS.thumbnail(str(odd_files["random"]), dest, at_seconds=0.0)

    assert dest.read_bytes() == b"previous thumbnail"
    assert [p.name for p in tmp_path.iterdir()] == ["thumb.jpg"]


# ----------------------------------------------------------------------------- HLS
def test_package_hls_copies_h264_aac_into_a_playable_relative_playlist(
    media: MediaSet, server: MediaServer, tmp_path: Path
) -> None:
    out_dir = tmp_path / "hls"

    files = TOOLS.package_hls(server.url("clip.mp4"), out_dir, segment_seconds=1)

    playlist, segments = files[0], files[1:]
    assert playlist == out_dir / "index.m3u8"
    assert len(segments) >= 2 and all(p.is_file() and p.stat().st_size > 0 for p in segments)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(p.name for p in files)
    assert [p.name for p in tmp_path.iterdir()] == ["hls"]  # no temporary folder left
    entries = _playlist_entries(playlist)
    assert entries == [p.name for p in segments]
    assert all("/" not in e and ":" not in e for e in entries)
    info = ffprobe(playlist)
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.3)
    video, audio = _video(info), _audio(info)
    assert (video["codec_name"], video["width"], video["height"], audio["codec_name"]) == ("h264", 320, 240, "aac")
    # Copied, not re-encoded: the H.264 profile of the source survives (a transcode would be High).
    assert video["profile"] == _video(ffprobe(media.clip))["profile"]


def test_package_hls_transcodes_mpeg4_and_opus_to_h264_and_aac(odd_files: dict[str, Path], tmp_path: Path) -> None:
    files = TOOLS.package_hls(str(odd_files["mpeg4"]), tmp_path / "hls", segment_seconds=1)

    assert files[0].name == "index.m3u8" and len(files) >= 2
    assert _playlist_entries(files[0]) == [p.name for p in files[1:]]
    info = ffprobe(files[0])
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.3)
    video = _video(info)
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 320, 240)  # even size for 4:2:0
    assert _audio(info)["codec_name"] == "aac"


def test_package_hls_turns_a_portrait_phone_video_upright(odd_files: dict[str, Path], tmp_path: Path) -> None:
    files = TOOLS.package_hls(str(odd_files["rotated"]), tmp_path / "hls")

    video = _video(ffprobe(files[0]))
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 240, 320)


def test_package_hls_again_replaces_the_earlier_output(media: MediaSet, tmp_path: Path) -> None:
    out_dir = tmp_path / "hls"
    out_dir.mkdir()
    (out_dir / "seg_00099.ts").write_bytes(b"stale segment of an earlier run")

    files = TOOLS.package_hls(str(media.clip), out_dir, segment_seconds=1)

    assert sorted(p.name for p in out_dir.iterdir()) == sorted(p.name for p in files)


# ----------------------------------------------------------------------------- not videos
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("random", "not a playable video: "),
        ("text", "not a playable video: "),
        ("empty", "not a playable video: "),
        ("audio", "not a playable video: no video stream"),
        ("cover", "not a playable video: no video stream"),  # cover art is not a video
        ("mp3", "not a playable video: unsupported file format (mp3)"),
    ],
)
def test_what_is_not_a_video_is_not_playable(name: str, reason: str, odd_files: dict[str, Path]) -> None:
    with pytest.raises(NotPlayableMedia) as raised:
        TOOLS.probe(str(odd_files[name]))

    message = str(raised.value)
    assert message.startswith(reason) and len(message) > len("not a playable video: ")
    assert str(odd_files[name]) not in message and "\x1b" not in message and len(message) < 250


@pytest.mark.parametrize("name", ["random", "audio"])
def test_processing_what_is_not_a_video_writes_nothing(name: str, odd_files: dict[str, Path], tmp_path: Path) -> None:
    source = str(odd_files[name])
    with pytest.raises(NotPlayableMedia):
        TOOLS.thumbnail(source, tmp_path / "thumb.jpg")
    with pytest.raises(NotPlayableMedia):
        TOOLS.package_hls(source, tmp_path / "hls")
    # Even when told it is an H.264 video, ffmpeg's own failure is reported the same way.
    with pytest.raises(NotPlayableMedia):
        TOOLS.package_hls(source, tmp_path / "hls", probe=ProbeResult(2.0, 320, 240, "h264", None, None, None))

    assert list(tmp_path.iterdir()) == []


def test_the_reason_does_not_leak_the_presigned_url(odd_files: dict[str, Path], server: MediaServer) -> None:
    url = server.url("random.mp4") + "?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=s3cr3t"

    with pytest.raises(NotPlayableMedia) as raised:
        TOOLS.probe(url)

    message = str(raised.value)
    assert message.startswith("not a playable video: ")
    assert "s3cr3t" not in message and "127.0.0.1" not in message


def test_a_playlist_upload_is_refused_without_fetching_what_it_names(
    odd_files: dict[str, Path], server: MediaServer
) -> None:
    server.clear_log()

    with pytest.raises(NotPlayableMedia, match=r"unsupported file format \(hls\)"):
        TOOLS.probe(server.url("evil.m3u8"))

    assert [path for _, path in server.requests] == ["/evil.m3u8"]


# ----------------------------------------------------------------------------- tool failures
def test_a_missing_binary_is_a_tool_failure(media: MediaSet, tmp_path: Path) -> None:
    no_ffmpeg = FfmpegTools(ffmpeg="/nonexistent/ffmpeg", ffprobe=FFPROBE)
    no_ffprobe = FfmpegTools(ffmpeg=FFMPEG, ffprobe="/nonexistent/ffprobe")

    with pytest.raises(MediaToolFailed, match="ffprobe not found"):
        no_ffprobe.probe(str(media.clip))
    with pytest.raises(MediaToolFailed, match="ffmpeg not found"):
        no_ffmpeg.thumbnail(str(media.clip), tmp_path / "thumb.jpg")
    with pytest.raises(MediaToolFailed, match="ffmpeg not found"):
        no_ffmpeg.package_hls(str(media.clip), tmp_path / "hls")
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_input_is_a_tool_failure_not_the_uploads_fault(
    media: MediaSet, server: MediaServer, tmp_path: Path
) -> None:
    with pytest.raises(MediaToolFailed, match="404"):
        TOOLS.probe(server.url("gone.mp4"))
    with pytest.raises(MediaToolFailed, match="No such file"):
        TOOLS.probe(str(tmp_path / "gone.mp4"))


def test_a_stalled_input_times_out_as_a_tool_failure(media: MediaSet) -> None:
    impatient = FfmpegTools(ffmpeg=FFMPEG, ffprobe=FFPROBE, timeout_seconds=1)
    with (
        MediaServer(media.root, slow_chunk_size=512, slow_delay_s=5) as slow,
        pytest.raises(MediaToolFailed, match="timed out"),
    ):
        impatient.probe(slow.url("/slow/clip.mp4"))


def test_only_http_urls_and_local_paths_are_accepted() -> None:
    with pytest.raises(ValueError, match="scheme"):
        TOOLS.probe("ftp://example.com/clip.mp4")
