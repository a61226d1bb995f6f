"""The access token, CSRF tokens and safe download names.

* Access token: required whenever the server listens on anything but loopback. Only its
  sha256 is kept (in memory); a presented token is hashed and compared with
  :func:`hmac.compare_digest`, in constant time.
* CSRF: one random token per browser session; every state-changing request must carry it
  in the ``X-CSRF-Token`` header or a ``csrf_token`` form field.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]')


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(presented: str | None, token_hash: str) -> bool:
    """Does ``presented`` hash to ``token_hash``? Constant-time comparison."""
    if not presented:
        return False
    return hmac.compare_digest(hash_token(presented), token_hash)


def csrf_matches(presented: str | None, expected: str | None) -> bool:
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def safe_filename(name: str, fallback: str = "download") -> str:
    """A download name with no folder part, control or reserved characters; Chinese kept."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_CHARS.sub("_", name).strip(" .")
    name = re.sub(r"_+", "_", name)[:120]
    return name or fallback
