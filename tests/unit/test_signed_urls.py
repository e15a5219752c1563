"""The presigned-URL keeper of a warm function (mediabatch/adapters/s3/signed_urls.py): a URL is
handed out again only while it has at least eleven twelfths of its lifetime left."""

from __future__ import annotations

from mediabatch.adapters.s3.signed_urls import MAX_KEPT, SignedUrls


class Signer:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"https://bucket/key?signature={self.count}"


def test_a_url_is_reused_for_a_twelfth_of_its_lifetime_then_signed_again() -> None:
    now = [1000.0]
    urls, sign = SignedUrls(clock=lambda: now[0]), Signer()

    first = urls.get("k", 3600, sign)
    now[0] += 299.0
    assert urls.get("k", 3600, sign) == first and sign.count == 1  # 59 min 1 s of its hour left
    now[0] += 1.0
    assert urls.get("k", 3600, sign) != first and sign.count == 2  # 5 minutes old: signed again


def test_each_key_and_lifetime_has_its_own_url() -> None:
    urls, sign = SignedUrls(clock=lambda: 0.0), Signer()
    a, b, short = urls.get("a", 3600, sign), urls.get("b", 3600, sign), urls.get(("a", 60), 60, sign)
    assert len({a, b, short}) == 3 and sign.count == 3


def test_a_short_lifetime_is_reused_only_for_its_own_twelfth() -> None:
    now = [0.0]
    urls, sign = SignedUrls(clock=lambda: now[0]), Signer()
    first = urls.get("k", 60, sign)
    now[0] = 5.0  # a twelfth of 60 s
    assert urls.get("k", 60, sign) != first


def test_the_keeper_stays_bounded() -> None:
    urls, sign = SignedUrls(clock=lambda: 0.0), Signer()
    for i in range(MAX_KEPT + 10):
        urls.get(i, 3600, sign)
    assert len(urls._kept) <= MAX_KEPT
