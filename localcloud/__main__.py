"""`python -m localcloud`: serve template.yaml locally in the foreground (what `make run` does)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path

from localcloud.cloud import REPO_ROOT, WORKER_MODES, LocalCloud, parse_overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--template", default="template.yaml")
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("LOCALCLOUD_MOTO_PORT", "0")))
    parser.add_argument("--parameter-overrides", default=os.environ.get("LOCALCLOUD_PARAMETER_OVERRIDES", ""))
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("MEDIABATCH_DATA_DIR") or None,
        help="where all state is kept (default: .localcloud/ under --root; env MEDIABATCH_DATA_DIR)",
    )
    parser.add_argument(
        "--schedule-seconds",
        type=float,
        default=float(os.environ.get("LOCALCLOUD_SCHEDULE_SECONDS", "0")) or None,
        help="run every Schedule event at this interval instead of its rate (tests)",
    )
    parser.add_argument(
        "--workers",
        choices=WORKER_MODES,
        default=os.environ.get("MEDIABATCH_LOCAL_WORKERS") or "process",
        help="process: each function in warm worker processes (as Lambda); inline: every handler in "
        "this one process, the old design (env MEDIABATCH_LOCAL_WORKERS)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cloud = LocalCloud(
        root=args.root,
        template=args.template,
        host=args.host,
        port=args.port,
        moto_port=args.moto_port,
        parameter_overrides=parse_overrides(args.parameter_overrides),
        data_dir=args.data_dir or args.root / ".localcloud",
        schedule_interval_seconds=args.schedule_seconds,
        workers=args.workers,
    )
    cloud.start()
    print(f"mediabatch API:  {cloud.base_url}", flush=True)
    print(f"emulated AWS:    {cloud.endpoint_url}  (AWS_ENDPOINT_URL for boto3/aws cli)", flush=True)
    print(f"S3:              {cloud.s3_endpoint_url}  (AWS_ENDPOINT_URL_S3; SeaweedFS)", flush=True)
    print(f"DynamoDB:        {cloud.dynamodb_endpoint_url}  (AWS_ENDPOINT_URL_DYNAMODB; DynamoDB Local)", flush=True)
    print(f"data folder:     {cloud.data_dir}  (keys: localcloud/localcloud)", flush=True)
    print(f"functions run:   {cloud.workers}", flush=True)
    for tenant, key in cloud.api_keys.items():
        print(f"API key of tenant {tenant!r}: {key}", flush=True)
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    cloud.stop()


if __name__ == "__main__":
    main()
