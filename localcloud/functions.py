"""Lambda functions of the template, run by the local cloud (moto can only run them in Docker):
in warm worker processes (`localcloud.workers`), or in this process (the `inline` mode)."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from localcloud.template import ACCOUNT_ID

if TYPE_CHECKING:
    from localcloud.workers import WorkerPool

logger = logging.getLogger("localcloud.functions")
_HANDLER_IMPORT_LOCK = threading.RLock()


@dataclass
class LambdaContext:
    """What handlers (and Powertools) read from the Lambda context object."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    timeout: int
    memory: int
    environment: dict[str, str]
    # In the inline mode, one invocation at a time, as in one Lambda execution environment.
    # Needed for HTTP API handlers: Powertools' resolvers keep the current request in class
    # attributes. (Worker processes serve one invocation at a time anyway.)
    serial: bool = False
    reserved_concurrency: int | None = None
    # Set by the local cloud in the worker mode: every invocation goes to a warm worker.
    pool: WorkerPool | None = None
    _callable: Callable[[Any, Any], Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serial_lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self) -> Callable[[Any, Any], Any]:
        """The handler, imported into this process (the inline mode)."""
        if self._callable is not None:
            return self._callable
        # One handler import at a time in the whole process: every function shares it (until
        # functions run in worker processes), and two threads importing a package with import
        # cycles (Powertools' data_classes) at once fail with "partially initialized module".
        with _HANDLER_IMPORT_LOCK, self._lock:
            if self._callable is None:
                module_name, _, attr = self.handler.rpartition(".")
                path = self.code_dir / (module_name.replace(".", "/") + ".py")
                spec = importlib.util.spec_from_file_location(f"localcloud_fn_{self.logical_id}", path)
                if spec is None or spec.loader is None:
                    raise ImportError(f"cannot load handler {self.handler} from {self.code_dir}")
                module: ModuleType = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(spec.name, None)  # the next invocation imports it afresh
                    raise
                self._callable = getattr(module, attr)
            return self._callable

    def invoke(self, event: Any) -> Any:
        """Call the handler as Lambda would: in a worker of this function (a failed invocation
        raises `FunctionError`), else in this process (its exception propagates)."""
        if self.pool is not None:
            return self.pool.invoke(event)
        return self.invoke_here(event)

    def invoke_here(self, event: Any) -> Any:
        """Call the handler in this process, whatever the mode (tests that replace parts of
        the domain in their own process)."""
        handler = self.load()
        if self.serial:
            with self._serial_lock:
                return handler(event, LambdaContext(self.name, self.memory, self.timeout, self.arn))
        return handler(event, LambdaContext(self.name, self.memory, self.timeout, self.arn))

    def invoke_for_moto(self, event: Any) -> tuple[str, bool]:
        """(payload, errored) in the shape moto's Lambda backend returns for an invocation."""
        from localcloud.workers import FunctionError

        try:
            return json.dumps(self.invoke(event), default=str), False
        except FunctionError as exc:  # Lambda's own payload: errorType is what Step Functions sees
            logger.warning("function %s failed: %s", self.name, exc)
            return json.dumps(exc.payload), True
        except Exception as exc:  # reported to the caller as a failed invoke, as on AWS
            logger.warning("function %s raised %s: %s", self.name, type(exc).__name__, exc)
            return json.dumps(
                {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_tb(exc.__traceback__),
                }
            ), True

    def patch(self, module: str, attr: str, value: Any) -> Callable[[], None]:
        """Set `module.attr = value` where this function runs (its workers, or this process),
        for tests that lower a limit; the returned function undoes it."""
        if self.pool is not None:
            return self.pool.patch(module, attr, value)
        import importlib

        target = importlib.import_module(module)
        original = getattr(target, attr)
        setattr(target, attr, value)
        return lambda: setattr(target, attr, original)


class FunctionRegistry:
    def __init__(self) -> None:
        self._by_name: dict[str, LocalFunction] = {}

    def add(self, fn: LocalFunction) -> None:
        self._by_name[fn.name] = fn

    def by_name(self, name: str) -> LocalFunction:
        return self._by_name[name]

    def get(self, name: str) -> LocalFunction | None:
        return self._by_name.get(name)

    def all(self) -> list[LocalFunction]:
        return list(self._by_name.values())


def code_location(root: Path, props: dict[str, Any], metadata: dict[str, Any] | None = None) -> tuple[Path, str]:
    """(code folder, handler) of a function of the template. A zip function names both
    (CodeUri, Handler); an image function (PackageType Image) is run from the folder of its
    Dockerfile (Metadata DockerContext + Dockerfile) with the handler its image runs
    (ImageConfig.Command, else the Handler of its Metadata)."""
    if props.get("PackageType") != "Image":
        return root / props["CodeUri"], str(props["Handler"])
    metadata = metadata or {}
    dockerfile = Path(str(metadata.get("Dockerfile", "Dockerfile")))
    code_dir = root / str(metadata.get("DockerContext", ".")) / dockerfile.parent
    command = (props.get("ImageConfig") or {}).get("Command") or [metadata.get("Handler", "")]
    if not command or not command[0]:
        raise ValueError("an image function needs ImageConfig.Command (or Metadata Handler) to run locally")
    return code_dir, str(command[0])


def function_arn(region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def patch_moto_lambda(registry: FunctionRegistry) -> None:
    """Make moto's Lambda backend run functions in this process instead of Docker."""
    from moto.awslambda.models import LambdaFunction

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        fn = registry.get(self.function_name)
        if fn is None:
            return (
                json.dumps(
                    {"errorType": "ResourceNotFound", "errorMessage": f"{self.function_name} is not a local function"}
                ),
                True,
                "",
            )
        payload = json.loads(event) if isinstance(event, str) else (event or {})
        result, errored = fn.invoke_for_moto(payload)
        return result, errored, ""

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
