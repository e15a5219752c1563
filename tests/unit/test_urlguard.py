"""The SSRF policy: which URLs and addresses the service refuses to fetch, and the allowlist."""

from __future__ import annotations

import pytest

from mediabatch.errors import UnsafeUrl
from mediabatch.urlguard import UrlPolicy

STRICT = UrlPolicy()  # production: empty allowlist


def refused(policy: UrlPolicy, url: str, *, resolve: bool = False) -> UnsafeUrl:
    with pytest.raises(UnsafeUrl) as raised:
        policy.check_url(url, resolve=resolve)
    assert raised.value.code == "unsafe_url"
    return raised.value


@pytest.mark.parametrize(
    "url",
    [
        # loopback
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/x",
        "http://127.255.255.254/",
        "https://127.0.0.2/",
        # RFC 1918
        "http://10.0.0.1/",
        "http://10.255.255.255/",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://192.168.0.1/",
        "http://192.168.255.255/",
        # link-local and cloud metadata
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.0.1/",
        "http://[fd00:ec2::254]/",
        # IPv6 loopback, unique local, link-local (with and without zone), unspecified
        "http://[::1]/",
        "http://[::1]:8080/",
        "http://[fc00::1]/",
        "http://[fd12:3456::1]/",
        "http://[fe80::1]/",
        "http://[fe80::1%25eth0]/",
        "http://[::]/",
        # IPv4-mapped IPv6
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:10.0.0.1]/",
        # this host, carrier-grade NAT, other special ranges
        "http://0.0.0.0/",
        "http://0.0.0.0:80/",
        "http://100.64.0.1/",
        "http://100.127.255.254/",
        "http://198.18.0.1/",
        "http://192.0.0.170/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
    ],
)
def test_non_public_addresses_are_refused(url: str) -> None:
    error = refused(STRICT, url)

    assert "not a public address" in error.message


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://LOCALHOST:8000/",
        "https://localhost/x",
        "http://foo.localhost/",
        "http://a.b.localhost:1/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_localhost_and_metadata_names_are_refused_without_resolving(url: str) -> None:
    error = refused(STRICT, url)

    assert "refusing to fetch from" in error.message


@pytest.mark.parametrize(
    "url", ["http://127.1/", "http://2130706433/", "http://0x7f000001/", "http://0/", "http://017700000001/"]
)
def test_numeric_spellings_of_loopback_are_refused_once_resolved(url: str) -> None:
    refused(STRICT, url, resolve=True)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://93.184.216.34/a.mp4",
        "file:///etc/passwd",
        "gopher://93.184.216.34/",
        "data:text/plain,hi",
        "javascript:alert(1)",
        "//93.184.216.34/x",
        "93.184.216.34/x",
        "HTTP+unix://x/",
        "ws://93.184.216.34/",
    ],
)
def test_only_http_and_https_are_allowed(url: str) -> None:
    assert "only http and https" in refused(STRICT, url).message


@pytest.mark.parametrize(
    "url", ["http://user:pass@93.184.216.34/", "http://user@93.184.216.34/", "https://:secret@[2606:4700::1]/"]
)
def test_urls_with_credentials_are_refused(url: str) -> None:
    assert "credentials" in refused(STRICT, url).message


def test_a_url_without_host_is_refused() -> None:
    assert "no host" in refused(STRICT, "http:///clip.mp4").message


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/",
        "https://93.184.216.34:8443/v.mp4",
        "https://[2606:4700::1]/",
        "http://[2606:4700:4700::1111]:80/x",
        "http://[::ffff:93.184.216.34]/",
        "https://8.8.8.8/",
    ],
)
def test_public_addresses_are_allowed(url: str) -> None:
    STRICT.check_url(url, resolve=False)
    STRICT.check_url(url, resolve=True)  # literals are checked as such, no DNS needed


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1", "1.1.1.1"])
def test_check_address_allows_public_addresses(address: str) -> None:
    STRICT.check_address("media.example", address)
    assert STRICT.is_address_allowed(address)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.1.1",
        "not-an-ip",
        "",
    ],
)
def test_check_address_refuses_non_public_addresses_whatever_the_host_name(address: str) -> None:
    with pytest.raises(UnsafeUrl) as raised:
        STRICT.check_address("innocent.example.com", address)

    assert "refusing to connect to innocent.example.com" in raised.value.message
    assert raised.value.details == {"host": "innocent.example.com", "address": address}


# --------------------------------------------------------------------------- allowlist
def test_the_allowlist_parses_hosts_and_networks() -> None:
    policy = UrlPolicy.from_allowlist(" Media.Internal , 10.1.0.0/16,127.0.0.1,, ::1 ,fd00::/8")

    assert policy.allowed_hosts == frozenset({"media.internal"})
    assert [str(n) for n in policy.allowed_networks] == ["10.1.0.0/16", "127.0.0.1/32", "::1/128", "fd00::/8"]


def test_an_empty_allowlist_allows_nothing_private() -> None:
    assert UrlPolicy.from_allowlist("") == UrlPolicy()
    refused(UrlPolicy.from_allowlist(" , "), "http://127.0.0.1/")


def test_an_allowlisted_cidr_opens_exactly_that_network() -> None:
    policy = UrlPolicy.from_allowlist("10.1.0.0/16,127.0.0.1")

    policy.check_url("http://10.1.2.3/clip.mp4")
    policy.check_url("http://127.0.0.1:8000/clip.mp4")
    policy.check_url("http://[::ffff:127.0.0.1]:8000/clip.mp4")
    policy.check_address("anything", "10.1.255.255")
    refused(policy, "http://10.2.0.1/")
    refused(policy, "http://127.0.0.2/")
    refused(policy, "http://169.254.169.254/")
    refused(policy, "http://[::1]/")


def test_an_allowlisted_host_name_is_allowed_whatever_it_resolves_to() -> None:
    policy = UrlPolicy.from_allowlist("media.internal")

    policy.check_url("http://media.internal/x.mp4")  # no DNS lookup needed
    policy.check_url("http://MEDIA.INTERNAL:8080/x.mp4")
    policy.check_address("media.internal", "10.9.9.9")
    policy.check_address("Media.Internal", "127.0.0.1")
    with pytest.raises(UnsafeUrl):
        policy.check_address("other.internal", "10.9.9.9")


def test_allowlisting_a_host_does_not_allow_its_subdomains() -> None:
    policy = UrlPolicy.from_allowlist("internal")

    with pytest.raises(UnsafeUrl):
        policy.check_address("evil.internal", "10.0.0.1")


def test_the_allowlist_does_not_lift_the_scheme_or_credentials_rules() -> None:
    policy = UrlPolicy.from_allowlist("127.0.0.1,media.internal")

    refused(policy, "ftp://127.0.0.1/")
    refused(policy, "http://user:pw@media.internal/")


@pytest.mark.parametrize("allowlist", ["127.0.0.1", "127.0.0.0/8", "::1"])
@pytest.mark.parametrize("url", ["http://localhost:8000/a.mp4", "http://LOCALHOST/", "http://app.localhost:1/"])
def test_localhost_is_allowed_when_a_loopback_address_is_allowlisted(allowlist: str, url: str) -> None:
    UrlPolicy.from_allowlist(allowlist).check_url(url, resolve=False)


def test_localhost_stays_refused_when_only_another_network_is_allowlisted() -> None:
    error = refused(UrlPolicy.from_allowlist("10.0.0.0/8"), "http://localhost:8000/")

    assert "refusing to fetch from localhost" in error.message


def test_a_refusal_ends_with_the_hint_naming_the_refused_host() -> None:
    local = UrlPolicy.from_allowlist("", hint='allow it with "UrlAllowlist={host}"')

    assert refused(local, "http://127.0.0.1:8000/").message == (
        'refusing to connect to 127.0.0.1: not a public address; allow it with "UrlAllowlist=127.0.0.1"'
    )
    assert refused(local, "http://localhost/").message == (
        'refusing to fetch from localhost; allow it with "UrlAllowlist=127.0.0.1"'
    )
    assert refused(STRICT, "http://127.0.0.1/").message == "refusing to connect to 127.0.0.1: not a public address"
