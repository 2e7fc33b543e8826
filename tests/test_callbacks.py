"""The callback-data codec as tables: what each button carries, and what is refused."""

from __future__ import annotations

import pytest

from bot.chat.callbacks import LIMIT, AnswerData, CommandData, answer, command, decode

ANSWERS = [
    # revision, key, value -> data
    (0, "language", "fr", "0|language|fr"),
    (7, "consent", "agree", "7|consent|agree"),
    (12, "family_count", "0", "12|family_count|0"),
    (31, "family_members.1.relationship", "child", "31|family_members.1.relationship|child"),
    (40, "review", "edit:full_name", "40|review|edit:full_name"),
    (6, "nationality", "SN", "6|nationality|SN"),
    (999999, "k", "v", "999999|k|v"),
]


@pytest.mark.parametrize(("revision", "key", "value", "data"), ANSWERS, ids=[a[3] for a in ANSWERS])
def test_an_answer_button_encodes_and_decodes(
    revision: int, key: str, value: str, data: str
) -> None:
    assert answer(revision, key, value) == data
    assert decode(data) == AnswerData(revision, key, value)


COMMANDS = [
    ("resume", "continue", "!resume|continue"),
    ("resume", "restart", "!resume|restart"),
    ("lang", "fr", "!lang|fr"),
    ("cancel", "yes", "!cancel|yes"),
    ("delete", "no", "!delete|no"),
    ("human", "yes", "!human|yes"),
]


@pytest.mark.parametrize(("action", "argument", "data"), COMMANDS, ids=[c[2] for c in COMMANDS])
def test_a_command_button_encodes_and_decodes(action: str, argument: str, data: str) -> None:
    assert command(action, argument) == data
    assert decode(data) == CommandData(action, argument)


def test_an_answer_of_exactly_64_bytes_is_kept_and_one_more_is_refused() -> None:
    data = answer(999999, "k" * 28, "v" * 28)
    assert len(data.encode()) == LIMIT == 64
    assert decode(data) == AnswerData(999999, "k" * 28, "v" * 28)
    with pytest.raises(ValueError, match="over 64 bytes"):
        answer(999999, "k" * 28, "v" * 29)
    assert decode(data + "v") is None


REFUSED = [
    (None, "no data"),
    ("", "empty"),
    ("hello", "no fields"),
    ("1|consent", "two fields"),
    ("1|consent|agree|extra", "four fields"),
    ("|consent|agree", "no revision"),
    ("-1|consent|agree", "negative revision"),
    ("x|consent|agree", "revision not a number"),
    ("1234567|consent|agree", "revision of seven digits"),
    ("1||agree", "no key"),
    ("1|consent|", "no value"),
    ("1|Consent|agree", "capital in the key"),
    ("1|con sent|agree", "space in the key"),
    ("1|consent|a gree", "space in the value"),
    ("1|consent|agrée", "accent in the value"),
    ("1|count|\u0661", "Arabic-Indic digit"),
    ("1|" + "k" * 51 + "|v", "key over 50 characters"),
    ("1|k|" + "v" * 51, "value over 50 characters"),
    ("1|k|" + "v" * 60, "over 64 bytes"),
    ("!", "bare command"),
    ("!lang", "command without argument"),
    ("!|fr", "command without action"),
    ("!Lang|fr", "capital in the action"),
    ("!lang|FR", "capital in the argument"),
    ("!language_menu|fr", "action with an underscore"),
    ("!abcdefghijklm|fr", "action over 12 letters"),
    ("!lang|fr|x", "command with three fields"),
    ("lang|fr", "command without its mark"),
    (" 1|consent|agree", "leading space"),
]


@pytest.mark.parametrize("data", [r[0] for r in REFUSED], ids=[r[1] for r in REFUSED])
def test_malformed_or_forged_data_decodes_to_none(data: str | None) -> None:
    assert decode(data) is None


@pytest.mark.xfail(reason="`$` matches before a final newline: decode() should use fullmatch")
def test_a_trailing_newline_is_refused() -> None:
    assert decode("1|consent|agree\n") is None


@pytest.mark.xfail(reason="answer() accepts keys of 51-54 characters that decode() refuses")
def test_every_answer_encoded_within_the_limit_decodes() -> None:
    key = "k" * 51
    data = answer(1, key, "v")
    assert decode(data) == AnswerData(1, key, "v")
