"""Which passwords may be chosen for the dashboard, and how they are kept."""

from __future__ import annotations

import gzip

import pytest

from bot.passwords import (
    COMMON,
    COMMON_PASSWORDS,
    MIN_PASSWORD,
    REPEATED,
    TOO_SHORT,
    hash_password,
    verify_password,
    weakness,
)


def test_the_shipped_list_holds_the_ten_thousand_most_common_passwords() -> None:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        common = [line.rstrip("\n") for line in lines]
    assert len(common) == 10_000
    assert common[:4] == ["123456", "123456789", "qwerty", "password"]  # most common first
    assert all(password == password.lower() for password in common)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("x" * (MIN_PASSWORD - 1), TOO_SHORT),
        ("pass phrase", TOO_SHORT),
        ("a" * MIN_PASSWORD, REPEATED),
        ("............................", REPEATED),
        ("qwerty123456", COMMON),
        ("QwErTy123456", COMMON),  # whatever the case
        ("1q2w3e4r5t6y", COMMON),
        ("password1234", COMMON),
        ("telechargement", COMMON),
    ],
)
def test_weak_passwords_are_refused_with_their_reason(password: str, reason: str) -> None:
    assert weakness(password) == reason


@pytest.mark.parametrize(
    "password", ["x7#" * 4, "correct horse battery", "aaaaaaaaaaab", "Télé chargement"]
)
def test_other_passwords_of_twelve_characters_or_more_are_accepted(password: str) -> None:
    assert len(password) >= MIN_PASSWORD == 12
    assert weakness(password) is None


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "Correct horse battery")
    assert not verify_password(None, "correct horse battery")  # no account: never
