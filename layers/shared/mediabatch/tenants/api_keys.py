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
