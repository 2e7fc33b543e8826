"""Login throttling and CSRF tokens."""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

CSRF_FIELD = "csrf_token"


class Keys(NamedTuple):
    """The keys under which one sign-in attempt is counted."""

    pair: str  # this account from this address
    address: str  # any account from this address
    account: str  # this account from anywhere


@dataclass(frozen=True)
class Throttle:
    """How many failed sign-ins an account may have from one address, an address may have,
    and an account may have from everywhere, within `window`.

    A wrong password slows down its account only from the address that typed it: a
    stranger who knows a caseworker's username cannot keep the caseworker out. The ceiling
    on the account from everywhere is high enough that one attacker meets the limits of
    their own address long before; it stops guessing spread over many addresses.

    Attempts are counted in the database, so every process behind a proxy sees the same
    count, and under keyed hashes: a password typed into the username field is never stored
    readable.
    """

    secret: bytes = field(repr=False)
    per_pair: int = 5
    per_address: int = 20
    per_account: int = 300
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def keyed_by(cls, secret: str) -> Throttle:
        """A throttle whose hashes use a key derived from `secret`, the same in every process."""
        return cls(hmac.new(secret.encode(), b"sign-in throttle", "sha256").digest())

    def keys(self, username: str, address: str) -> Keys:
        """The keys under which an attempt for `username` from `address` is counted."""
        return Keys(
            self._key("pair", json.dumps([username, address])),
            self._key("address", address),
            self._key("account", username),
        )

    def refused(self, attempts: dict[str, int], keys: Keys) -> bool:
        """Whether an attempt is refused, given the attempts by key, itself included."""
        return (
            attempts.get(keys.pair, 0) > self.per_pair
            or attempts.get(keys.address, 0) > self.per_address
            or attempts.get(keys.account, 0) > self.per_account
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
