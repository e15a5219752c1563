"""SSRF guard: which hosts and addresses the service may fetch from.

Policy only (no sockets opened here). Adapters call `check_address` on every connection they
open, redirects included, so a DNS answer or a redirect cannot smuggle a request to loopback,
private ranges, link-local or cloud metadata addresses.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mediabatch.errors import UnsafeUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Addresses that are never public even if `is_global` says otherwise on some Python versions.
_ALWAYS_BLOCKED = [
    ipaddress.ip_network("169.254.0.0/16"),  # link-local, incl. 169.254.169.254 metadata
    ipaddress.ip_network("fd00:ec2::254/128"),  # EC2 IMDS over IPv6
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("0.0.0.0/8"),
    # IPv6 forms that embed an IPv4 address (which may be private): IPv4-compatible,
    # NAT64 and 6to4.
    ipaddress.ip_network("::/96"),
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("2002::/16"),
]
_LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


@dataclass(frozen=True)
class UrlPolicy:
    """Hosts and networks exempt from the guard (MEDIABATCH_URL_ALLOWLIST). `hint`, when set,
    ends every refusal: how to allow the host (the local cloud names its setting); `{host}` in
    it becomes the refused host."""

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)
    hint: str = ""

    @classmethod
    def from_allowlist(cls, allowlist: str, *, hint: str = "") -> UrlPolicy:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in allowlist.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks), hint)

    def is_address_allowed(self, address: str) -> bool:
        ip = _parse_ip(address)
        if ip is None:
            return False
        if any(ip in net for net in self.allowed_networks):
            return True
        if any(ip in net for net in _ALWAYS_BLOCKED):
            return False
        return ip.is_global and not ip.is_multicast

    def check_address(self, host: str, address: str) -> None:
        """Raise UnsafeUrl unless connecting to `address` (resolved from `host`) is allowed."""
        if host.lower().strip("[]") in self.allowed_hosts:
            return
        if not self.is_address_allowed(address):
            # The message names the host only: echoing what an internal name resolves to would
            # let callers map private networks. The address stays in `details` for logs.
            raise UnsafeUrl(
                f"refusing to connect to {host}: not a public address{self._hint_for(host)}",
                details={"host": host, "address": address},
            )

    def check_url(self, url: str, *, resolve: bool = True) -> None:
        """Validate scheme and host of `url`; with `resolve`, every address its host resolves to."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UnsafeUrl(f"only http and https URLs are allowed: {url}")
        host = parts.hostname
        if not host:
            raise UnsafeUrl(f"URL has no host: {url}")
        if parts.username or parts.password:
            raise UnsafeUrl(f"URLs with credentials are not allowed: {url}")
        if host.lower() in self.allowed_hosts:
            return
        literal = _parse_ip(host)
        if literal is not None:
            self.check_address(host, str(literal))
            return
        if self._check_special_name(host) or not resolve:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
        except OSError as exc:
            raise UnsafeUrl(f"cannot resolve host {host}", details={"host": host}) from exc
        for info in infos:
            self.check_address(host, str(info[4][0]))

    def _check_special_name(self, host: str) -> bool:
        """True if `host` is localhost and allowed (localhost is loopback by definition, RFC 6761;
        the connect guard still checks every address it resolves to); raises UnsafeUrl for
        localhost and metadata names otherwise; False for any other name."""
        if _is_localhost(host) and self.loopback_allowed:
            return True
        if _is_localhost(host) or host.lower() == "metadata.google.internal":
            raise UnsafeUrl(f"refusing to fetch from {host}{self._hint_for(host)}", details={"host": host})
        return False

    @property
    def loopback_allowed(self) -> bool:
        """127.0.0.1 or ::1 is allowlisted: `localhost` may be fetched too."""
        return any(ip in net for net in self.allowed_networks for ip in _LOOPBACK)

    def _hint_for(self, host: str) -> str:
        if not self.hint:
            return ""
        return "; " + self.hint.replace("{host}", "127.0.0.1" if _is_localhost(host) else host.strip("[]"))


def _is_localhost(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


_NUMERIC_IPV4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)


def _parse_ip(text: str) -> IPAddress | None:
    bare = text.strip("[]").split("%")[0]
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        return _legacy_ipv4(bare)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _legacy_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """The address a C library connects to for the old numeric spellings (`2130706433`,
    `0177.0.0.1`, `127.1`, `0x7f.1`): read as it reads them, so no form passes as a name."""
    if not _NUMERIC_IPV4.match(text):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None
