"""The `mediabatch` command line (also `python -m mediabatch_client`):

    mediabatch download URL... | -f urls.txt [--concurrency N] [--watch]
    mediabatch show URL [--folder F] [--watch]      (a show, feed or playlist: a job per episode)
    mediabatch batch ls [--status S] | status|watch|cancel|retry ID
    mediabatch upload FILE... [--parallel N]        (run again to resume an interrupted upload)
    mediabatch resume UPLOAD_ID FILE
    mediabatch uploads ls                           (open uploads)
    mediabatch embed FILE... --collection C [--watch]
    mediabatch search TEXT --collection C [-n N]
    mediabatch collections ls|rm NAME
    mediabatch media ls|get|rm|cp ...
    mediabatch audit [--action A] [--since T]
    mediabatch webhooks secret [--rotate] | ls | add URL --events E... | rm ID
    mediabatch webhooks deliveries ID | redeliver DELIVERY_ID
    mediabatch admin tenants create TENANT | admin keys issue|ls TENANT | admin keys revoke TENANT KEY_ID
                                                    (the admin token: $MEDIABATCH_ADMIN_TOKEN)

Every command takes --api, --key, --config, --json, --quiet, --timeout, --retries (before or
after the command's name). Results go to stdout (plain lines, or JSON with --json), live
progress and errors to stderr: `error: <code>: <message>`.

Exit status: 0 ok; 1 the API refused the call or a batch/upload/document job ended with
failures (watch views print each failed job's error_code); 2 usage;
3 authentication (missing or invalid key); 4 not found; 5 the API cannot be reached; 130
interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from mediabatch_client.cli.commands import GROUPS
from mediabatch_client.cli.config import DEFAULT_API, UsageError, resolve
from mediabatch_client.cli.context import Context
from mediabatch_client.cli.output import EXIT_INTERRUPTED, EXIT_USAGE, Output, exit_status
from mediabatch_client.errors import MediaBatchError
from mediabatch_client.progress_bar import ProgressBar, human

__all__ = ["ProgressBar", "build_parser", "human", "main"]


def _common(suppress: bool) -> argparse.ArgumentParser:
    """The options every command takes. On the commands their default is SUPPRESS, so one given
    before the command's name is not overwritten by the command's own default."""
    none = argparse.SUPPRESS if suppress else None
    flag = argparse.SUPPRESS if suppress else False
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("connection and output")
    g.add_argument(
        "--api",
        default=none,
        help=f"API address (default: $MEDIABATCH_API, $MEDIABATCH_API_URL, the config file's api, else {DEFAULT_API})",
    )
    g.add_argument("--key", default=none, help="API key (default: $MEDIABATCH_API_KEY, else the config file's api_key)")
    g.add_argument(
        "--config",
        default=none,
        help="config file (default: $MEDIABATCH_CONFIG, else ~/.config/mediabatch/config.toml)",
    )
    g.add_argument("--json", action="store_true", default=flag, help="print results as JSON (default: lines)")
    g.add_argument("--quiet", action="store_true", default=flag, help="no live progress (default: shown)")
    g.add_argument("--timeout", type=float, default=none, help="seconds to wait for an answer (default: 60)")
    g.add_argument(
        "--retries", type=int, default=none, help="further attempts on connection errors, 429 and 5xx (default: 3)"
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mediabatch",
        parents=[_common(suppress=False)],
        description="mediabatch from the command line: batch downloads, shows, uploads, documents, media, "
        "audit, webhooks.",
        epilog="Exit status: 0 ok, 1 API refusal or failed batch/upload/document job, 2 usage, 3 authentication, "
        "4 not found, 5 API unreachable, 130 interrupted.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common(suppress=True)
    for group in GROUPS:
        group.register(sub, common)
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command; returns its exit status (argparse's own usage errors exit with 2)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    output = Output(out, err, json=args.json, quiet=args.quiet)
    ctx: Context | None = None
    try:
        if args.retries is not None and args.retries < 0:
            raise UsageError("--retries must be at least 0")
        settings = resolve(
            args.api, args.key, args.config, args.timeout, args.retries, key_required=not getattr(args, "admin", False)
        )
        ctx = Context(settings, output)
        status: int = args.run(args, ctx)
        return status
    except UsageError as exc:
        output.error("usage", str(exc))
        return EXIT_USAGE
    except MediaBatchError as exc:
        output.error(exc.code, exc.message)
        return exit_status(exc)
    except KeyboardInterrupt:
        output.note("interrupted")
        return EXIT_INTERRUPTED
    finally:
        if ctx is not None:
            ctx.close()
