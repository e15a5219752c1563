"""Starts the parts (SeaweedFS, DynamoDB Local) and moto, provisions the template in them and
serves the API: the whole system, locally, with its state in one data folder."""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

from localcloud.functions import FunctionRegistry, LocalFunction, patch_moto_lambda
from localcloud.gateway import HttpApiGateway
from localcloud.moto_fixes import cache_moto_module_list, route_step_functions_clients
from localcloud.parts import DynamoDbLocal, Part, SeaweedS3, reap_stale_parts
from localcloud.provision import Provisioned, Provisioner
from localcloud.scheduler import Scheduler
from localcloud.sqs_journal import SqsJournal
from localcloud.sqs_poller import SqsPoller
from localcloud.template import Resolver, load_template, merge_globals
from localcloud.workers import WorkerPool, WorkerPools, WorkerSpec, worker_pythonpath

logger = logging.getLogger("localcloud")
REPO_ROOT = Path(__file__).resolve().parent.parent
# Set in the process for every function (the template's values win for its own keys).
_LOCAL_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    # The layer's refusals then name the local cloud's setting that allows a host (UrlAllowlist).
    "MEDIABATCH_LOCAL": "1",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "localcloud",
    "AWS_SECRET_ACCESS_KEY": "localcloud",
}
# Services served by a part of their own (boto3 names); moto plays the rest.
_PART_SERVICES = ("s3", "dynamodb")
# How functions run: "process" (warm worker processes, as Lambda's execution environments) or
# "inline" (every handler in this process, one GIL: the old design, for comparison and debugging).
WORKER_MODES = ("process", "inline")
# Of the cloud's own environment, what a worker gets besides the function's variables.
_WORKER_INHERITED = (
    "PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "LD_LIBRARY_PATH", "VIRTUAL_ENV",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "HF_HOME", "HF_HUB_OFFLINE", "OMP_NUM_THREADS",
    "AWS_DEFAULT_REGION", "AWS_REGION", "MOTO_PORT", "AWS_ENDPOINT_URL",
)  # fmt: skip
_FAULTS_HOOK = "localcloud.faults:install_from_env"
_WORKER_INHERITED_PREFIXES = ("LOCALCLOUD_", "POWERTOOLS_", "MEDIABATCH_", "AWS_ENDPOINT_URL_")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def parse_overrides(text: str | None) -> dict[str, str]:
    """`Key=Value Key2=Value2`, as `sam deploy --parameter-overrides` takes them."""
    out: dict[str, str] = {}
    for token in (text or "").split():
        key, sep, val = token.partition("=")
        if not sep:
            raise ValueError(f"parameter override {token!r} is not Key=Value")
        out[key] = val
    return out


def _local_default(default: str) -> str:
    """A parameter's default as the local cloud uses it. Layers' files are not unpacked into /opt
    here, so a default naming a layer binary (FfmpegLayer's /opt/bin/ffmpeg) becomes the
    machine's own binary of that name, found on PATH."""
    if default.startswith("/opt/bin/"):
        return default.removeprefix("/opt/bin/")
    return default


def _warm_imports() -> None:
    """Import what provisioning needs next (moto's ASL parser alone takes over a second)."""
    import importlib

    for name in ("moto.stepfunctions.parser.models", "moto.awslambda.models", "moto.sqs.models", "moto.events.models"):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: S112 - only a head start; the real import reports any error
            continue


class LocalCloud:
    """One process, one emulated cloud. Environment and moto state are process-wide, so run one
    LocalCloud per process (tests use a session fixture; other templates run in a subprocess)."""

    def __init__(
        self,
        *,
        root: Path = REPO_ROOT,
        template: str = "template.yaml",
        host: str = "127.0.0.1",
        port: int = 8080,
        moto_port: int = 0,
        stack_name: str = "mediabatch-local",
        region: str = "us-east-1",
        parameter_overrides: dict[str, str] | None = None,
        api_keys: str | None = None,
        work_dir: Path | None = None,
        data_dir: Path | None = None,
        schedule_interval_seconds: float | None = None,
        workers: str | None = None,
        max_workers: int | None = None,
        worker_idle_seconds: float | None = None,
    ) -> None:
        self.root = root
        self.template_path = root / template
        self.host = host
        self.port = port
        self.moto_port = moto_port or free_port(host)
        self.stack_name = stack_name
        self.region = region
        self.parameter_overrides = parameter_overrides or {}
        self.api_keys_spec = api_keys
        # Everything the cloud keeps lives here; without one, a temporary folder removed at stop.
        self._temporary_data = data_dir is None
        self.data_dir = (data_dir or Path(tempfile.mkdtemp(prefix="localcloud-"))).resolve()
        self.work_dir = work_dir or self.data_dir / "lambda-tmp"
        self.api_keys: dict[str, str] = {}
        self.parts: dict[str, Part] = {}
        self.schedule_interval_seconds = schedule_interval_seconds
        self.scheduler: Scheduler | None = None
        self._sqs_journal: SqsJournal | None = None
        self._lock_file: Any = None
        self.provisioned: Provisioned | None = None
        self.resolver: Resolver | None = None
        self._moto: Any = None
        self._gateway: HttpApiGateway | None = None
        self._pollers: list[SqsPoller] = []
        self.workers = workers or os.environ.get("MEDIABATCH_LOCAL_WORKERS") or "process"
        if self.workers not in WORKER_MODES:
            raise ValueError(f"workers must be one of {WORKER_MODES}, not {self.workers!r}")
        # Workers of one function at most (fewer where the template reserves less concurrency).
        self.max_workers = max_workers or int(os.environ.get("LOCALCLOUD_MAX_WORKERS", "10"))
        self.worker_idle_seconds = worker_idle_seconds or float(os.environ.get("LOCALCLOUD_WORKER_IDLE_SECONDS", "300"))
        self.worker_pools: WorkerPools | None = None
        self._function_env_keys: set[str] = set()

    # ------------------------------------------------------------------ lifecycle
    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    @property
    def base_url(self) -> str:
        port = self._gateway.port if self._gateway else self.port
        return f"http://{self.host}:{port}"

    @property
    def s3_endpoint_url(self) -> str:
        return self.parts["s3"].endpoint_url

    @property
    def dynamodb_endpoint_url(self) -> str:
        return self.parts["dynamodb"].endpoint_url

    def endpoint_for(self, service: str) -> str:
        """Where `service` (a boto3 name) is served: its own part, else moto."""
        part = self.parts.get(service)
        return part.endpoint_url if part else self.endpoint_url

    def client(self, service: str) -> Any:
        if service in self.parts:
            self.parts[service].wait_ready()
        return boto3.session.Session(region_name=self.region).client(
            service,
            endpoint_url=self.endpoint_for(service),
            aws_access_key_id=_LOCAL_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=_LOCAL_ENV["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4" if service == "s3" else None),
        )

    def pids(self) -> list[int]:
        """This process and every part's: what the local cloud runs as (workers come and go)."""
        return [os.getpid(), *(pid for part in self.parts.values() for pid in part.pids())]

    def function(self, logical_id: str) -> LocalFunction:
        """The template's function `logical_id`, whose handler `.invoke(event)` calls directly
        (what `sam local invoke <LogicalId> -e events/<LogicalId>.json` does)."""
        assert self.provisioned is not None, "start the local cloud first"
        for fn in self.provisioned.functions.all():
            if fn.logical_id == logical_id:
                return fn
        raise KeyError(f"no function {logical_id} in {self.template_path.name}")

    def prewarm(self, logical_id: str, workers: int) -> int:
        """Start `workers` warm workers of a function now (benchmarks measure warm functions, as
        provisioned concurrency gives on AWS); how many are ready. Nothing to do inline."""
        pool = self.function(logical_id).pool
        return pool.prewarm(workers) if pool is not None else 0

    def start(self) -> LocalCloud:
        started = time.monotonic()
        for name in ("moto", "werkzeug", "moto.stepfunctions", "botocore", "urllib3"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # Powertools warns on every invocation that emits no metric; noise in a local run.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        os.environ.update(_LOCAL_ENV)
        os.environ.pop("AWS_SESSION_TOKEN", None)  # SeaweedFS takes a session token for an STS one
        os.environ.update(
            {"MOTO_PORT": str(self.moto_port), "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
        )
        self._claim_data_dir()
        self._launch_parts()  # they start while moto starts and the template is read
        warming = threading.Thread(target=_warm_imports, daemon=True, name="localcloud-imports")
        warming.start()  # the slowest imports, while DynamoDB Local's JVM starts
        self._start_moto()
        template = load_template(self.template_path)
        params = {k: _local_default(str(v.get("Default", ""))) for k, v in (template.get("Parameters") or {}).items()}
        unknown = set(self.parameter_overrides) - set(params)
        if unknown:
            raise ValueError(f"unknown template parameters: {sorted(unknown)}")
        params.update(self.parameter_overrides)
        resolver = Resolver(stack_name=self.stack_name, region=self.region, parameters=params)
        self.resolver = resolver  # what the template's names and ARNs are here (tests check IAM with it)
        registry = FunctionRegistry()
        provisioner = Provisioner(
            root=self.root,
            resources=merge_globals(template),
            resolver=resolver,
            clients=self.client,
            stack_name=self.stack_name,
            region=self.region,
        )
        provisioner.out.functions = registry
        self.provisioned = provisioner.run()
        patch_moto_lambda(registry)
        self._apply_function_environment()
        if self.workers == "process":
            self._start_worker_pools(provisioner.resources)
        self._seed_api_keys()
        self._restore_queues()
        for source in self.provisioned.sqs_sources:
            poller = SqsPoller(source, self.client("sqs"), self.region)
            poller.start()
            self._pollers.append(poller)
        # Each schedule runs once now (what the last run left half-way resumes), then at its rate;
        # the API opens once those first runs are done (or after a minute), so they never race
        # what the API's first clients do.
        self.scheduler = Scheduler(self.provisioned.schedules, self.region, self.schedule_interval_seconds)
        self.scheduler.start(first_detail={"after_restart": True}, wait_seconds=60.0)
        self._gateway = HttpApiGateway(self.provisioned.routes, self.provisioned.cors, self.host, self.port)
        self._gateway.start()
        logger.info(
            "local cloud ready in %.1f s at %s (moto at %s)",
            time.monotonic() - started,
            self.base_url,
            self.endpoint_url,
        )
        return self

    def stop(self) -> None:
        if self.scheduler:
            self.scheduler.stop()
        if self._sqs_journal:
            self._sqs_journal.close()
        for poller in self._pollers:
            poller.stop()
        if self._gateway:
            self._gateway.stop()
        if self.worker_pools:
            self.worker_pools.stop()
        if self._moto:
            self._moto.stop()
        for part in self.parts.values():
            part.stop()
        if self._lock_file:
            self._lock_file.close()
            self._lock_file = None
        if self._temporary_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals
    def _restore_queues(self) -> None:
        from moto.sqs.models import sqs_backends

        from localcloud.template import ACCOUNT_ID

        self._sqs_journal = SqsJournal(self.data_dir / "sqs-journal.jsonl")
        restored = self._sqs_journal.open(sqs_backends[ACCOUNT_ID][self.region])
        if restored:
            logger.info("%d SQS messages restored from the data folder", restored)

    def _claim_data_dir(self) -> None:
        """One local cloud per data folder: a second one would corrupt the parts' files."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = (self.data_dir / "lock").open("w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another local cloud is running on {self.data_dir}") from None

    def _launch_parts(self) -> None:
        """Start the parts; the first client of each waits until it answers."""
        keys = (_LOCAL_ENV["AWS_ACCESS_KEY_ID"], _LOCAL_ENV["AWS_SECRET_ACCESS_KEY"])
        self.parts = {
            "s3": SeaweedS3(self.data_dir / "s3", self.host, *keys),
            "dynamodb": DynamoDbLocal(self.data_dir / "dynamodb", self.host, *keys),
        }
        reap_stale_parts(self.data_dir / "parts.pids")
        for part in self.parts.values():
            part.launch()
        (self.data_dir / "parts.pids").write_text(
            "".join(f"{pid}\n" for part in self.parts.values() for pid in part.pids())
        )
        for service in _PART_SERVICES:
            # boto3 (botocore >= 1.31) honours these for clients created without an endpoint.
            os.environ[f"AWS_ENDPOINT_URL_{service.upper()}"] = self.endpoint_for(service)
        route_step_functions_clients({s: self.endpoint_for(s) for s in _PART_SERVICES}, *keys)

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        cache_moto_module_list()
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self.moto_port, verbose=False)
        self._moto.start()
        requests.post(
            f"{self.endpoint_url}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=10
        ).raise_for_status()

    def _apply_function_environment(self) -> None:
        """This process's own environment: the local settings, and the functions' variables on
        which they all agree (the API keys are seeded here, and tests use the domain's adapters
        in this process). A variable two functions set differently is left out here; each
        worker gets its own function's value (in the inline mode the first function's wins)."""
        assert self.provisioned is not None
        merged: dict[str, str] = {}
        conflicting: set[str] = set()
        for fn in self.provisioned.functions.all():
            for key, val in fn.environment.items():
                if key in merged and merged[key] != val:
                    conflicting.add(key)
                merged.setdefault(key, val)
        if conflicting and self.workers == "process":
            logger.info("set differently by functions, so left out of the cloud's own environment: %s", conflicting)
            merged = {k: v for k, v in merged.items() if k not in conflicting}
        elif conflicting:
            logger.warning("inline mode: %s differ between functions; all functions see one value", conflicting)
        os.environ.update(merged)
        self._function_env_keys = set(merged) | conflicting
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
        self.work_dir.mkdir(parents=True, exist_ok=True)
        os.environ["MEDIABATCH_WORK_DIR"] = str(self.work_dir)
        # Where a fault plan of the tests lives: this process and every worker read the same one.
        os.environ["LOCALCLOUD_FAULTS_FILE"] = str(self.data_dir / "faults.json")
        for path in [*self.provisioned.layer_dirs, *(fn.code_dir for fn in self.provisioned.functions.all())]:
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
        if "mediabatch.container" in sys.modules:
            sys.modules["mediabatch.container"].reset()

    def worker_base_env(self) -> dict[str, str]:
        """What every worker's environment starts from: the cloud's endpoints, keys, region and
        local settings (AWS_ENDPOINT_URL*, MEDIABATCH_*, POWERTOOLS_*, every LOCALCLOUD_*)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if (k in _WORKER_INHERITED or k.startswith(_WORKER_INHERITED_PREFIXES))
            and k not in self._function_env_keys  # those a worker gets from its own function only
        }
        env.update(_LOCAL_ENV)
        hooks = [h for h in env.get("LOCALCLOUD_WORKER_HOOKS", "").split(",") if h]
        if _FAULTS_HOOK not in hooks:
            hooks.insert(0, _FAULTS_HOOK)  # the fault plan tests write reaches every worker
        if hooks:
            env["LOCALCLOUD_WORKER_HOOKS"] = ",".join(hooks)
        env["MEDIABATCH_WORK_DIR"] = str(self.work_dir)
        return env

    def _start_worker_pools(self, resources: dict[str, dict[str, Any]]) -> None:
        """A pool of warm workers per function; each worker's environment is the base one plus
        exactly its function's variables and the PYTHONPATH of its code and layers."""
        assert self.provisioned is not None
        base = self.worker_base_env()
        self.worker_pools = WorkerPools(self.worker_idle_seconds)
        single = _single_writer_functions(self.provisioned.functions.all())
        for fn in self.provisioned.functions.all():
            props = resources.get(fn.logical_id, {}).get("Properties") or {}
            reserved = props.get("ReservedConcurrentExecutions")
            fn.reserved_concurrency = int(reserved) if reserved is not None else None
            cap = 1 if fn.name in single else min(self.max_workers, fn.reserved_concurrency or self.max_workers)
            path = worker_pythonpath(self.provisioned.layer_dirs, fn.code_dir, REPO_ROOT)
            env = {**base, **fn.environment, "PYTHONPATH": path}
            spec = WorkerSpec(fn.logical_id, fn.name, fn.arn, fn.handler, fn.timeout, fn.memory, env, max(1, cap))
            fn.pool = self.worker_pools.add(WorkerPool(spec))
        self.worker_pools.start()
        for pool in {id(r.function.pool): r.function.pool for r in self.provisioned.routes if r.function.pool}.values():
            threading.Thread(target=pool.warm, daemon=True, name="localcloud-warm").start()  # the API's first worker

    def _seed_api_keys(self) -> None:
        """Tenants and keys for templates of mediabatch itself (those whose functions use a
        TABLE_NAME); other templates have no tenants."""
        assert self.provisioned is not None
        if not any("TABLE_NAME" in fn.environment for fn in self.provisioned.functions.all()):
            return
        from mediabatch import container
        from mediabatch.tenants.api_keys import new_api_key

        spec = self.api_keys_spec if self.api_keys_spec is not None else os.environ.get("MEDIABATCH_API_KEYS", "")
        pairs = [p.strip() for p in spec.split(",") if p.strip()]
        if not pairs:
            pairs = [f"local:{self._stable_local_key(new_api_key)}"]
        for pair in pairs:
            tenant, sep, key = pair.partition(":")
            if not sep:
                raise ValueError(f"MEDIABATCH_API_KEYS entry {pair!r} is not tenant:key")
            container.tenant_service().register_api_key(tenant.strip(), key.strip())
            self.api_keys[tenant.strip()] = key.strip()

    def _stable_local_key(self, new_api_key: Any) -> str:
        """The key of tenant `local`, made once per data folder and kept there."""
        path = self.data_dir / "local-api-key"
        if path.exists():
            return path.read_text().strip()
        key = str(new_api_key())
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(key + "\n")
        os.replace(tmp, path)
        return key


def _single_writer_functions(functions: list[LocalFunction]) -> set[str]:
    """Functions that must run in one worker at a time: the document function keeps its vectors
    in an embedded Chroma folder (CHROMA_HOST empty), which is thread-safe but not process-safe.
    With a Chroma server (template parameter ChromaHost) it scales like any other function."""
    named = {fn.environment.get("DOCUMENT_FUNCTION_NAME") for fn in functions}
    return {fn.name for fn in functions if fn.name in named and not fn.environment.get("CHROMA_HOST")}
