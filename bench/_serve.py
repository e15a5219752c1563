"""`python -m bench._serve ROOT [--throttle-bps N]`: tests.support.MediaServer in a process of its
own. Prints the port, serves until stdin closes. The benchmarks keep the media server out of the
process under test: a real media server is remote and does not share the emulator's CPU."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.support import _http_server
from tests.support.media_server import MediaServer

# socketserver listens with a backlog of 5: ten clients connecting at once overflow it and the
# kernel makes the surplus retry after 1 s (SYN-ACK retransmit), a stall no real media server
# (nginx: 511) would add. Only this process's server class changes, not the test support code.
LISTEN_BACKLOG = 128


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("--throttle-bps", type=int, default=0)
    args = parser.parse_args()
    _http_server._OwnedServer.request_queue_size = LISTEN_BACKLOG
    with MediaServer(args.root, throttle_bps=args.throttle_bps or None) as server:
        print(server.port, flush=True)
        sys.stdin.read()  # returns when the parent closes our stdin (or dies)


if __name__ == "__main__":
    main()
