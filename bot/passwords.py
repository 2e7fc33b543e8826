"""Dashboard passwords: argon2 hashes, and which passwords may be chosen."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.engine.flow import N_

_hasher = PasswordHasher()
# Verifying against this keeps an unknown username as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")
MIN_PASSWORD = 12
# The 10,000 most common passwords, lowercased: the first lines of the list Django ships
# (django/contrib/auth/common-passwords.txt.gz in Django 5.1, Royce Williams's list,
# BSD licence: common-passwords.LICENSE next to it). Guessers try these first.
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"

TOO_SHORT = N_("A password needs at least {n} characters.")
REPEATED = N_("A password cannot be one character repeated.")
COMMON = N_(
    "This password is one of the most common ones, which are guessed first. Choose another."
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def weakness(password: str) -> str | None:
    """Why `password` may not be chosen, as English text to translate with `n=MIN_PASSWORD`;
    None if it may."""
    if len(password) < MIN_PASSWORD:
        return TOO_SHORT
    if len(set(password)) == 1:
        return REPEATED
    if password.strip().lower() in _common_passwords():
        return COMMON
    return None


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)
