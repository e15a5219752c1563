"""The README's "Try it" commands, run as written against a freshly started `python -m localcloud`
(what `make run` starts) with the allowlist the README shows: every command succeeds and prints
what the README says it prints. Only the key, the API's port and the media server's port change."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from localcloud.cloud import REPO_ROOT
from tests.support.localcloud_process import LocalCloudProcess

README = (REPO_ROOT / "README.md").read_text()


def try_it_blocks() -> list[str]:
    section = README.split("\n## Try it\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _json_documents(text: str) -> list[Any]:
    decoder, found, pos = json.JSONDecoder(), [], 0
    while (pos := text.find("{", pos)) != -1:
        try:
            document, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            pos += 1
            continue
        found.append(document)
        pos = end
    return found


def _run_python_example(cloud: LocalCloudProcess, media_port: int) -> subprocess.CompletedProcess[str]:
    """The SDK example of "Three ways in", with the variables block 2 exports."""
    code = re.findall(r"```python\n(.*?)```", README, re.S)[0]
    code = code.replace("https://example.com/clip.mp4", f"http://127.0.0.1:{media_port}/clip.mp4")
    env = {"PATH": os.environ["PATH"], "MEDIABATCH_API": cloud.base_url, "MEDIABATCH_API_KEY": cloud.api_key}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=90, check=False
    )


def _run_aws_credentials_example(cloud: LocalCloudProcess) -> subprocess.CompletedProcess[str]:
    """The dummy credentials and the printed endpoints, as the README shows them to boto3."""
    block = next(b for b in re.findall(r"```bash\n(.*?)```", README, re.S) if "boto3" in b)
    block = block.replace("AWS_ENDPOINT_URL_S3=http://127.0.0.1:...", f"AWS_ENDPOINT_URL_S3={cloud.s3_url}")
    block = block.replace(
        "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:...", f"AWS_ENDPOINT_URL_DYNAMODB={cloud.urls['DynamoDB']}"
    )
    assert "..." not in block, block
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        ["bash", "-ec", block], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_readme_shows_how_to_allow_your_own_machine() -> None:
    assert 'LOCALCLOUD_PARAMETER_OVERRIDES="UrlAllowlist=127.0.0.1" make run' in README
    assert len(try_it_blocks()) == 2


def test_the_try_it_commands_work_as_written(tmp_path: Path) -> None:
    overrides = re.search(r'LOCALCLOUD_PARAMETER_OVERRIDES="([^"]+)" make run', README)
    assert overrides
    media_port = _free_port()
    with LocalCloudProcess(tmp_path / "data", overrides=overrides[1]) as cloud:
        script = "\n".join(try_it_blocks())
        script = re.sub(r"(?m)^KEY=\.\.\.", f"KEY={cloud.api_key}", script)
        script = script.replace("API=http://127.0.0.1:8080", f"API={cloud.base_url}")
        script = script.replace("127.0.0.1:8000", f"127.0.0.1:{media_port}")
        script = script.replace("http.server 8000", f"http.server {media_port}")
        assert cloud.api_key and f"KEY={cloud.api_key}" in script and str(media_port) in script
        home = tmp_path / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG")} | {"HOME": str(home)}
        traced = "set -eo pipefail\ntrap 'echo \"FAILED ($?): $BASH_COMMAND\" >&2' ERR\n" + script
        proc = subprocess.Popen(
            ["bash", "-c", traced],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # the media server it starts goes with its group
        )
        try:
            output, _ = proc.communicate(timeout=180)
            sdk = _run_python_example(cloud, media_port)
            aws = _run_aws_credentials_example(cloud)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
    assert sdk.returncode == 0 and re.fullmatch(r"\['[0-9a-f-]{36}'\]\n", sdk.stdout), sdk
    assert aws.returncode == 0 and "mediabatch-local-mediabucket" in aws.stdout, aws
    assert proc.returncode == 0, output
    documents = _json_documents(output)
    created = next(d for d in documents if "batch_id" in d and "jobs" not in d)
    assert created["status"] == "queued" and created["total_jobs"] == 1, output
    states = [d for d in documents if d.get("batch_id") == created["batch_id"] and "jobs" in d]
    assert len(states) == 2, output  # GET, then DELETE
    # `sleep 3` is plenty for a 2 s clip; on a very busy machine the job may still be running.
    assert len(states[0]["jobs"]) == 1 and states[0]["status"] in ("queued", "running", "completed"), states[0]
    assert states[0]["status"] != "completed" or states[0]["jobs"][0]["file_info"], states[0]
    assert states[1]["status"] in ("completed", "cancelled"), states[1]  # a finished batch stays as it is
    assert any(str(d.get("secret", "")).startswith("whsec_") for d in documents), output
    media = next(d for d in documents if "items" in d)
    # The media catalog holds both clips: the one uploaded and (once its job ended) the one downloaded.
    sources = sorted(i["metadata"]["source"] for i in media["items"])
    assert sources in (["download", "upload"], ["upload"]), media
