#!/usr/bin/env python3
"""Creates a tenant's API key in a deployed stack (or the local cloud), through the same
domain service the local cloud seeds its keys with: the key is stored only as its SHA-256
hash, and a new tenant also gets its webhook secret. Prints the key once; it cannot be
read back later.

    .venv/bin/python bin/create_api_key.py --stack mediabatch --tenant acme
    .venv/bin/python bin/create_api_key.py --table NAME --tenant acme --key mb_...   # your own key

Uses your AWS credentials (the usual AWS_PROFILE / AWS_REGION); needs dynamodb:PutItem and
dynamodb:UpdateItem on the table, and cloudformation:DescribeStacks with --stack."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "shared"))


def table_of_stack(stack: str, region: str, endpoint_url: str | None) -> str:
    import boto3

    cfn = boto3.session.Session(region_name=region).client("cloudformation", endpoint_url=endpoint_url)
    outputs = cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == "MediabatchTableName":
            return str(output["OutputValue"])
    raise SystemExit(f"stack {stack} has no MediabatchTableName output (deployed from an older template?)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="CloudFormation stack name (reads its MediabatchTableName output)")
    where.add_argument("--table", help="the MediabatchTable's name")
    parser.add_argument("--tenant", required=True, help="tenant id: 1-64 of [A-Za-z0-9_-]")
    parser.add_argument("--key", help="the key to register (default: a new random one)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    parser.add_argument("--endpoint-url", help="another endpoint than AWS (the local cloud's moto)")
    args = parser.parse_args(argv)
    region = args.region or "us-east-1"
    table = args.table or table_of_stack(args.stack, region, args.endpoint_url)

    os.environ.update({"TABLE_NAME": table, "AWS_REGION": region})
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    else:
        os.environ.pop("AWS_ENDPOINT_URL", None)

    from mediabatch import container
    from mediabatch.errors import DomainError
    from mediabatch.tenants.api_keys import new_api_key

    container.reset()
    key = args.key or new_api_key()
    try:
        container.tenant_service().register_api_key(args.tenant, key)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"tenant {args.tenant}: API key {key}")
    print("Send it as the X-API-Key header. It is stored only hashed: keep it now.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
