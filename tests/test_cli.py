"""The intake-bot command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat.terminal import interpret, show
from bot.chat.transport import BotMessage, OfflineBotAPI
from bot.cli import main


def run(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "INTAKE_DATA_DIR": str(tmp_path), **env}
    environment.pop("TELEGRAM_BOT_TOKEN", None)
    environment.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=tmp_path,
    )


def test_help_documents_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command, text in [
        ("run", "run the bot (polling) and the dashboard"),
        ("users", "dashboard accounts"),
        ("chat", "talk to the bot in this terminal"),
        ("db", "database maintenance"),
        ("conversations", "conversation files"),
    ]:
        assert f"    {command}" in out and text in out


def test_a_webhook_without_a_token_is_refused(tmp_path: Path) -> None:
    result = run(["run", "--webhook-url", "https://example.org/telegram/webhook"], tmp_path)
    assert result.returncode == 2
    assert "A webhook needs TELEGRAM_BOT_TOKEN" in result.stderr


def test_db_upgrade_creates_the_embedded_database(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "intake.db").exists()


def test_terminal_chat_completes_an_intake(tmp_path: Path) -> None:
    answers = [
        "2",
        "1",
        "1",
        "Awa Diallo",
        "1",
        "01/01/1990",
        "Senegal",
        "1",
        "1",
        "3",
        "1",
        "1",
        "1",
        "Dakar",
        "0",
        "2",
        "2",
        "2",
        "3",
        "8",
        "3",
        "Couture",
        "1",
        "1",
    ]
    result = run(["chat", "--language", "en"], tmp_path, stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "  [1] Français\n  [2] English" in out
    assert "  [1] 📱 Share my phone number" in out
    assert "Your reference number is AVR-" in out
    assert "Traceback" not in result.stderr


def test_numbers_tap_buttons_and_digit_labels_match_by_value() -> None:
    api = OfflineBotAPI()
    person = api.person(1)
    keyboard = {
        "inline_keyboard": [
            [{"text": "0", "callback_data": "3|n|0"}, {"text": "1", "callback_data": "3|n|1"}]
        ]
    }
    api.chats[1].append(BotMessage(1, 1, "How many?", keyboard))
    assert interpret("1", person, "+1")["callback_query"]["data"] == "3|n|1"  # type: ignore[index]
    choices = {"inline_keyboard": [[{"text": "Yes", "callback_data": "4|q|yes"}]]}
    api.chats[1].append(BotMessage(2, 1, "OK?", choices))
    assert interpret("1", person, "+1")["callback_query"]["data"] == "4|q|yes"  # type: ignore[index]
    assert interpret("7", person, "+1")["message"]["text"] == "7"  # type: ignore[index]
    share = {"keyboard": [[{"text": "Share", "request_contact": True}]]}
    api.chats[1].append(BotMessage(3, 1, "Phone?", share))
    update = interpret("1", person, "+212612345678")
    assert update["message"]["contact"]["phone_number"] == "+212612345678"  # type: ignore[index]
    assert "[1] Share" in show("sent", api.chats[1][-1])


def test_users_add_refuses_weak_passwords_in_the_office_language(tmp_path: Path) -> None:
    for password, refusal in [
        ("short", "Un mot de passe doit avoir au moins 12 caractères."),
        ("eleven char", "Un mot de passe doit avoir au moins 12 caractères."),
        ("zzzzzzzzzzzzzz", "Un mot de passe ne peut pas être un seul caractère répété."),
        ("QWERTY123456", "Ce mot de passe est l'un des plus courants"),
    ]:
        result = run(["users", "add", "amina", "--password-stdin"], tmp_path, stdin=password + "\n")
        assert result.returncode == 1 and refusal in result.stderr, result.stderr
    result = run(
        ["users", "add", "amina", "--password-stdin"],
        tmp_path,
        stdin="short\n",
        INTAKE_DEFAULT_LANGUAGE="en",
    )
    assert result.returncode == 1
    assert "A password needs at least 12 characters." in result.stderr
    assert not (tmp_path / "intake.db").exists()  # refused before any database


def test_users_add_stores_an_argon2_hash(tmp_path: Path) -> None:
    result = run(
        ["users", "add", "amina", "--role", "supervisor", "--password-stdin"],
        tmp_path,
        stdin="a long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    assert "supervisor 'amina' created" in result.stdout
    again = run(["users", "add", "amina", "--password-stdin"], tmp_path, stdin="another password\n")
    assert again.returncode == 1 and "exists already" in again.stderr

    import sqlite3

    from bot.passwords import verify_password

    with sqlite3.connect(tmp_path / "intake.db") as db:
        role, password_hash = db.execute("SELECT role, password_hash FROM accounts").fetchone()
    assert role == "supervisor" and password_hash.startswith("$argon2")
    assert verify_password(password_hash, "a long enough password")
    assert not verify_password(password_hash, "another password")
