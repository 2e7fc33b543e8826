"""Login throttling and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Throttle:
    """How many failed sign-ins an account and an address may have within `window`.

    Attempts are counted in the database, so every process behind a proxy sees the same
    count, and under keyed hashes: a password typed into the username field is never stored
    readable.
    """

    secret: bytes = field(repr=False)
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def keyed_by(cls, secret: str) -> Throttle:
        """A throttle whose hashes use a key derived from `secret`, the same in every process."""
        return cls(hmac.new(secret.encode(), b"sign-in throttle", "sha256").digest())

    def keys(self, username: str, address: str) -> tuple[str, str]:
        """The (account, address) keys under which failures are counted."""
        return self._key("account", username), self._key("address", address)

    def refused(self, attempts: dict[str, int], keys: tuple[str, str]) -> bool:
        """Whether an attempt is refused, given the attempts by key, itself included."""
        account, address = keys
        return (
            attempts.get(account, 0) > self.per_account
            or attempts.get(address, 0) > self.per_address
        )

    def _key(self, kind: str, value: str) -> str:
        return hmac.new(self.secret, f"{kind}:{value}".encode(), "sha256").hexdigest()


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
