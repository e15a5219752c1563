"""API keys: generated long and random, stored only as unsalted SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets

# Unsalted hashes are safe only for long random strings (generated keys have 35 characters).
MIN_KEY_LENGTH = 16


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return "mb_" + secrets.token_urlsafe(24)


def key_id_of(key_hash: str) -> str:
    """A stable, non-secret name of a key: the first 12 hex digits (48 bits) of its hash."""
    return key_hash[:12]


def prefix_of(api_key: str) -> str:
    """The first characters of a key, to recognise it in a list: `mb_` and 5 random characters
    of a generated key (27 stay secret); at most a quarter of a shorter, configured key."""
    return api_key[: min(8, len(api_key) // 4)]
