"""Starts moto, provisions the template in it and serves the API: the whole system, locally."""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

from localcloud.functions import FunctionRegistry, LocalFunction, patch_moto_lambda
from localcloud.gateway import HttpApiGateway
from localcloud.moto_fixes import make_dynamodb_writes_atomic
from localcloud.provision import Provisioned, Provisioner
from localcloud.sqs_poller import SqsPoller
from localcloud.template import Resolver, load_template, merge_globals

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
    "AWS_SESSION_TOKEN": "localcloud",
}


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
        self.work_dir = work_dir or Path(tempfile.mkdtemp(prefix="localcloud-"))
        self.api_keys: dict[str, str] = {}
        self.provisioned: Provisioned | None = None
        self.resolver: Resolver | None = None
        self._moto: Any = None
        self._gateway: HttpApiGateway | None = None
        self._pollers: list[SqsPoller] = []

    # ------------------------------------------------------------------ lifecycle
    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.moto_port}"

    @property
    def base_url(self) -> str:
        port = self._gateway.port if self._gateway else self.port
        return f"http://{self.host}:{port}"

    def client(self, service: str) -> Any:
        return boto3.session.Session(region_name=self.region).client(
            service, endpoint_url=self.endpoint_url, config=Config(s3={"addressing_style": "path"})
        )

    def function(self, logical_id: str) -> LocalFunction:
        """The template's function `logical_id`, whose handler `.invoke(event)` calls directly
        (what `sam local invoke <LogicalId> -e events/<LogicalId>.json` does)."""
        assert self.provisioned is not None, "start the local cloud first"
        for fn in self.provisioned.functions.all():
            if fn.logical_id == logical_id:
                return fn
        raise KeyError(f"no function {logical_id} in {self.template_path.name}")

    def start(self) -> LocalCloud:
        started = time.monotonic()
        for name in ("moto", "werkzeug", "moto.stepfunctions", "botocore", "urllib3"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # Powertools warns on every invocation that emits no metric; noise in a local run.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        os.environ.update(_LOCAL_ENV)
        os.environ.update(
            {"MOTO_PORT": str(self.moto_port), "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}
        )
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
        self._seed_api_keys()
        for source in self.provisioned.sqs_sources:
            poller = SqsPoller(source, self.client("sqs"), self.region)
            poller.start()
            self._pollers.append(poller)
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
        for poller in self._pollers:
            poller.stop()
        if self._gateway:
            self._gateway.stop()
        if self._moto:
            self._moto.stop()

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals
    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        make_dynamodb_writes_atomic()
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self.moto_port, verbose=False)
        self._moto.start()
        requests.post(
            f"{self.endpoint_url}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=10
        ).raise_for_status()

    def _apply_function_environment(self) -> None:
        """Every function's variables from the template, in this one process: two functions
        may not give one variable different values (that would need separate processes)."""
        assert self.provisioned is not None
        merged: dict[str, tuple[str, str]] = {}
        for fn in self.provisioned.functions.all():
            for key, val in fn.environment.items():
                if key in merged and merged[key][1] != val:
                    raise ValueError(
                        f"{key} differs between {merged[key][0]} and {fn.logical_id}; the local cloud "
                        "runs all functions in one process"
                    )
                merged[key] = (fn.logical_id, val)
        os.environ.update({k: v for k, (_, v) in merged.items()})
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
        os.environ["MEDIABATCH_WORK_DIR"] = str(self.work_dir)
        for path in [*self.provisioned.layer_dirs, *(fn.code_dir for fn in self.provisioned.functions.all())]:
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
        if "mediabatch.container" in sys.modules:
            sys.modules["mediabatch.container"].reset()

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
            pairs = [f"local:{new_api_key()}"]
        for pair in pairs:
            tenant, sep, key = pair.partition(":")
            if not sep:
                raise ValueError(f"MEDIABATCH_API_KEYS entry {pair!r} is not tenant:key")
            container.tenant_service().register_api_key(tenant.strip(), key.strip())
            self.api_keys[tenant.strip()] = key.strip()
