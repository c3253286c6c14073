"""Secrets at the door: the room's rotating session token, bearer tokens, admission-card PINs.

Session token
    Six characters from :data:`TOKEN_ALPHABET` (no ``0/O``, ``1/I``), the first 30 bits of
    ``HMAC-SHA256(session secret, str(window))`` read five bits per character, where
    ``window = floor(unix seconds / 900)``. It changes every 15 minutes; the previous
    window's token stays valid for :data:`TOKEN_GRACE` after the change.
Bearer
    32 random bytes, URL-safe base64; only its SHA-256 (hex) is stored.
PIN
    Six random digits; only ``hmac-sha256$`` + HMAC-SHA256(PIN key, "<exam>/<participant>:<PIN>")
    (hex) is stored. The PIN key is a secret of the instance (``keys/pin.key``), never in the
    database: a stolen database gives nothing to try PINs against. A slow hash (argon2) would
    not protect a 20-bit PIN from someone holding the database anyway, and would cost 1,000
    candidates logging in at once ~30 s of CPU; the defences at the door are this key, the
    lock after five wrong PINs, the room's rotating token, and PINs valid for one session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - an alphabet
TOKEN_LENGTH = 6
TOKEN_WINDOW = timedelta(minutes=15)
TOKEN_GRACE = timedelta(minutes=2)
PIN_DIGITS = 6
PIN_SCHEME = "hmac-sha256$"


def new_token_secret() -> bytes:
    """A fresh random session secret (32 bytes), made when the session is opened."""
    return secrets.token_bytes(32)


def token_window(now: datetime) -> int:
    """The number of the 15-minute window ``now`` falls in (since the Unix epoch)."""
    return int(now.timestamp() // TOKEN_WINDOW.total_seconds())


def token_for_window(secret: bytes, window: int) -> str:
    """The session token of one window."""
    digest = hmac.new(secret, str(window).encode(), hashlib.sha256).digest()
    bits = int.from_bytes(digest[:4], "big") >> 2  # the first 30 bits
    chars = [TOKEN_ALPHABET[(bits >> (5 * (TOKEN_LENGTH - 1 - i))) & 31]
             for i in range(TOKEN_LENGTH)]
    return "".join(chars)


def current_token(secret: bytes, now: datetime) -> str:
    """The token to show in the room at ``now``."""
    return token_for_window(secret, token_window(now))


def token_valid(secret: bytes, given: str, now: datetime) -> bool:
    """Whether ``given`` (any case, spaces ignored) is the current token or the previous
    window's within :data:`TOKEN_GRACE`; compared in constant time."""
    given = "".join(given.split()).upper()
    window = token_window(now)
    ok = hmac.compare_digest(given.encode(), token_for_window(secret, window).encode())
    window_start = window * TOKEN_WINDOW.total_seconds()
    if now.timestamp() - window_start < TOKEN_GRACE.total_seconds():
        previous = token_for_window(secret, window - 1)
        ok = hmac.compare_digest(given.encode(), previous.encode()) or ok
    return ok


def new_bearer() -> tuple[str, str]:
    """A new bearer token and the SHA-256 (hex) to store in its place."""
    bearer = secrets.token_urlsafe(32)
    return bearer, bearer_digest(bearer)


def bearer_digest(bearer: str) -> str:
    """The SHA-256 (hex) of a bearer token, as stored on the attempt."""
    return hashlib.sha256(bearer.encode()).hexdigest()


def new_pin() -> str:
    """Six random digits for an admission card."""
    return f"{secrets.randbelow(10 ** PIN_DIGITS):0{PIN_DIGITS}d}"


def hash_pin(key: bytes, subject: str, pin: str) -> str:
    """The stored verifier of ``subject``'s PIN (``subject`` = ``<exam>/<participant>``)."""
    mac = hmac.new(key, f"{subject}:{pin}".encode(), hashlib.sha256).hexdigest()
    return PIN_SCHEME + mac


def pin_matches(key: bytes, pin_hash: str, subject: str, pin: str) -> bool:
    """Whether ``pin`` matches the stored verifier, compared in constant time."""
    return hmac.compare_digest(hash_pin(key, subject, pin).encode(), pin_hash.encode())
