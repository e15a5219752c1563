"""The SSRF corpus (tests/data/ssrf_corpus.txt), a stub resolver, and a trap server that
counts every request that reaches it."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from ._http_server import BackgroundHTTPServer, QuietHandler

CORPUS = Path(__file__).resolve().parents[1] / "data" / "ssrf_corpus.txt"
TRAP_HOST = "127.0.0.3"
REBIND_NAME = "rebind.attacker.test"
PUBLIC = "93.184.216.34"


def corpus(trap_port: int = 9) -> list[str]:
    """Every hostile URL, `{trap}` replaced by the trap's port."""
    lines = (line.strip() for line in CORPUS.read_text().splitlines())
    return [line.replace("{trap}", str(trap_port)) for line in lines if line and not line.startswith("#")]


class StubResolver:
    """getaddrinfo without DNS: numeric spellings as the C library reads them (inet_aton),
    IP literals as they are, and REBIND_NAME answering PUBLIC first and TRAP_HOST after."""

    def __init__(self) -> None:
        self.rebind_answers = 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = str(host)
        if name == REBIND_NAME:
            self.rebind_answers += 1
            address = PUBLIC if self.rebind_answers == 1 else TRAP_HOST
        else:
            try:
                address = socket.inet_ntoa(socket.inet_aton(name))
            except OSError:
                try:
                    socket.inet_pton(socket.AF_INET6, name.split("%")[0])
                except OSError:
                    raise socket.gaierror(socket.EAI_NONAME, f"stub resolver: unknown name {name}") from None
                return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (name, int(port or 0), 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]


class _TrapHandler(QuietHandler):
    def _any(self) -> None:
        owner = self.owner
        assert isinstance(owner, TrapServer)
        owner.hits.append(f"{self.command} {self.path}")
        self.send_bytes(200, b"trapped\n", "text/plain", head=self.command == "HEAD")

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _any


class TrapServer(BackgroundHTTPServer):
    """Answers anything, records every request: a test asserts `hits` stays empty."""

    handler_class = _TrapHandler

    def __init__(self) -> None:
        super().__init__(TRAP_HOST)
        self.hits: list[str] = []
