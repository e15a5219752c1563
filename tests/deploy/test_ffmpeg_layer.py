"""FfmpegLayer is what runs ffmpeg on AWS: `sam build FfmpegLayer` (no Docker) must produce
static ffmpeg and ffprobe in bin/ (Lambda's /opt/bin) that really transcode."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from localcloud.template import load_template, merge_globals
from tests.deploy.sam import TEMPLATE, sam_build

LAYER = "FfmpegLayer"


@pytest.fixture(scope="module")
def layer_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir = tmp_path_factory.mktemp("sam-layer") / "build"
    sam_build(build_dir, LAYER, timeout=300)
    return build_dir / LAYER / "bin"


@pytest.mark.parametrize("tool", ["ffmpeg", "ffprobe"])
def test_the_built_layer_carries_a_static_binary_that_runs(layer_bin: Path, tool: str) -> None:
    binary = layer_bin / tool
    assert binary.is_file(), f"{binary} missing after sam build {LAYER}"
    # Static: no program interpreter (ld-linux), so it cannot miss a library Amazon Linux lacks.
    assert b"ld-linux" not in binary.read_bytes()[:4096], f"{tool} is dynamically linked"
    result = subprocess.run([str(binary), "-version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{tool} version"), result.stdout[:200]


def test_the_layer_ffmpeg_transcodes_and_its_ffprobe_reads_the_result(layer_bin: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    encode = [str(layer_bin / "ffmpeg"), "-hide_banner", "-loglevel", "error", "-f", "lavfi"]
    encode += ["-i", "testsrc=size=160x120:rate=10:duration=1", "-f", "lavfi", "-i", "sine=duration=1"]
    encode += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)]
    result = subprocess.run(encode, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    probe = [str(layer_bin / "ffprobe"), "-v", "error", "-show_streams", "-of", "json", str(out)]
    streams = json.loads(subprocess.run(probe, capture_output=True, text=True, timeout=60, check=True).stdout)
    codecs = sorted(s["codec_name"] for s in streams["streams"])
    assert codecs == ["aac", "h264"]
    video = next(s for s in streams["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (160, 120)


def test_ffmpeg_paths_default_to_the_layer_and_every_function_running_ffmpeg_attaches_it() -> None:
    template = load_template(TEMPLATE)
    params = template["Parameters"]
    assert params["FfmpegPath"]["Default"] == "/opt/bin/ffmpeg"
    assert params["FfprobePath"]["Default"] == "/opt/bin/ffprobe"
    resources = merge_globals(template)
    for logical_id, res in resources.items():
        props = res["Properties"]
        if res["Type"] != "AWS::Serverless::Function" or props.get("PackageType") == "Image":
            continue
        source = "\n".join(p.read_text() for p in (TEMPLATE.parent / props["CodeUri"]).rglob("*.py"))
        if any(call in source for call in FFMPEG_CALLS):
            assert {"Ref": LAYER} in props.get("Layers", []), f"{logical_id} runs ffmpeg but lacks {LAYER}"


# Calls into mediabatch.container whose services start ffmpeg/ffprobe: downloads merge and
# remux, media processing probes and transcodes. (RecordJobCrashFunction builds the job runner
# only to record a crash.) A new function that runs ffmpeg through another factory adds it here.
FFMPEG_CALLS = (
    "container.media_processor(",
    "container.ffmpeg_tools(",
    "container.ytdlp_downloader(",
    "container.download_job_runner().run(",
)
