"""Every URL of the SSRF corpus is refused by the policy: production's (nothing allowlisted)
and the test cloud's (127.0.0.1 allowlisted), names resolved by a stub resolver (no DNS)."""

from __future__ import annotations

import pytest

from mediabatch import urlguard
from mediabatch.errors import UnsafeUrl
from mediabatch.urlguard import UrlPolicy
from tests.support.ssrf import REBIND_NAME, StubResolver, corpus

POLICIES = {"production": UrlPolicy(), "test-cloud": UrlPolicy.from_allowlist("127.0.0.1")}


@pytest.fixture(autouse=True)
def stub_resolver(monkeypatch: pytest.MonkeyPatch) -> StubResolver:
    resolver = StubResolver()
    monkeypatch.setattr(urlguard.socket, "getaddrinfo", resolver)
    return resolver


def test_the_corpus_is_not_empty_and_has_no_duplicates() -> None:
    urls = corpus()
    assert len(urls) >= 40 and len(set(urls)) == len(urls)


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("url", corpus(8123))
def test_every_hostile_url_is_refused(policy: str, url: str, stub_resolver: StubResolver) -> None:
    if REBIND_NAME in url:
        stub_resolver.rebind_answers = 1  # the lookup the guard makes is the one that rebinds
    with pytest.raises(UnsafeUrl):
        POLICIES[policy].check_url(url, resolve=True)


def test_a_rebinding_name_passes_its_first_lookup_so_the_connection_must_check_again() -> None:
    """What the connect guards exist for (tests/integration/test_ssrf_rebinding.py proves them)."""
    POLICIES["test-cloud"].check_url(f"http://{REBIND_NAME}/", resolve=True)  # first answer: public
    with pytest.raises(UnsafeUrl):
        POLICIES["test-cloud"].check_url(f"http://{REBIND_NAME}/", resolve=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706435/",
        "http://0177.0.0.3/",
        "http://127.3/",
        "http://0x7f.0.0.3/",
        "http://0/",
        "http://012.0.0.1/",
    ],
)
def test_numeric_spellings_are_addresses_not_names_even_without_resolving(url: str) -> None:
    """Found by the corpus: batch creation checks without DNS, and these passed as names."""
    with pytest.raises(UnsafeUrl):
        POLICIES["test-cloud"].check_url(url, resolve=False)


def test_a_name_made_of_digits_and_letters_is_still_a_name() -> None:
    POLICIES["production"].check_url("http://0xcafe.example/", resolve=False)
