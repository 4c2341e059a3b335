"""Secret tokens (API tokens, calendar feeds, survey and invitation links): the database keeps
only a token's SHA-256, so a leaked table opens nothing. One digest for all of them."""

from __future__ import annotations

import hashlib


def token_digest(raw: str) -> str:
    """The stored form of ``raw``. ``surrogatepass``: a malformed token from a URL (a lone
    surrogate) still digests, to a value no real token has, instead of raising."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
