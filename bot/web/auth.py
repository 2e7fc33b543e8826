"""Passwords, login throttling and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")
CSRF_FIELD = "csrf_token"
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class Throttle:
    """At most `limit` failed logins per key within `window`; in this process's memory."""

    limit: int
    window: timedelta = timedelta(minutes=15)
    _failures: dict[str, deque[datetime]] = field(default_factory=lambda: defaultdict(deque))

    def blocked(self, key: str, now: datetime) -> bool:
        failures = self._failures.get(key)
        if failures is None:
            return False
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]  # nothing kept for names that were only tried once
            return False
        return len(failures) >= self.limit

    def failed(self, key: str, now: datetime) -> None:
        self._failures[key].append(now)

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_valid(session: dict[str, Any], submitted: object) -> bool:
    expected = session.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(submitted, str):
        return False
    return hmac.compare_digest(expected, submitted)
