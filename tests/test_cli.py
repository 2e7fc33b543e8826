"""The intake-bot command."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat.phone import BotMessage
from bot.chat.terminal import interpret, show
from bot.chat.transport import OfflineBotAPI
from bot.cli import main


def run(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    unset = ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(INTAKE_DATA_DIR=str(tmp_path), **env)
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
        ("statistics", "the anonymous statistics of the reports"),
        ("conversations", "conversation files"),
        ("translations", "per language, the share of messages translated"),
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

    from bot.passwords import verify_password

    with sqlite3.connect(tmp_path / "intake.db") as db:
        role, password_hash = db.execute("SELECT role, password_hash FROM accounts").fetchone()
    assert role == "supervisor" and password_hash.startswith("$argon2")
    assert verify_password(password_hash, "a long enough password")
    assert not verify_password(password_hash, "another password")


def usernames(database: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return [name for (name,) in db.execute("SELECT username FROM accounts ORDER BY id")]


def add_user(tmp_path: Path, name: str) -> None:
    result = run(["users", "add", name, "--password-stdin"], tmp_path, stdin="a long password\n")
    assert result.returncode == 0, result.stderr


def test_db_backup_copies_the_database_the_bot_has_open(tmp_path: Path) -> None:
    add_user(tmp_path, "amina")
    with contextlib.closing(sqlite3.connect(tmp_path / "intake.db")) as bot:
        bot.execute("PRAGMA wal_autocheckpoint=0")  # what follows stays in the log
        bot.execute("UPDATE accounts SET language = 'en'")
        bot.commit()
        assert (tmp_path / "intake.db-wal").stat().st_size > 0
        result = run(["db", "backup", "copy.db"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"backup written to copy\.db: \d+\.\d MB in \d+\.\d\d s\n", result.stdout)
    copy = tmp_path / "copy.db"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # it holds personal data
    assert not (tmp_path / "copy.db-wal").exists() and not (tmp_path / "copy.db.partial").exists()
    with contextlib.closing(sqlite3.connect(copy)) as db:
        assert db.execute("SELECT username, language FROM accounts").fetchall() == [("amina", "en")]


def test_db_restore_puts_a_backup_back(tmp_path: Path) -> None:
    add_user(tmp_path, "amina")
    assert run(["db", "backup", "copy.db"], tmp_path).returncode == 0
    add_user(tmp_path, "bakary")
    assert usernames(tmp_path / "intake.db") == ["amina", "bakary"]
    result = run(["db", "restore", "copy.db"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"restored copy.db \(schema \d{4}\)", result.stdout), result.stdout
    assert usernames(tmp_path / "intake.db") == ["amina"]
    add_user(tmp_path, "chadia")  # the restored database works as before
    assert usernames(tmp_path / "intake.db") == ["amina", "chadia"]


def test_db_restore_refuses_while_the_database_is_open(tmp_path: Path) -> None:
    add_user(tmp_path, "amina")
    assert run(["db", "backup", "copy.db"], tmp_path).returncode == 0
    add_user(tmp_path, "bakary")
    with contextlib.closing(sqlite3.connect(tmp_path / "intake.db")) as bot:
        bot.execute("PRAGMA journal_mode=WAL")  # as the bot's connections are, idle
        result = run(["db", "restore", "copy.db"], tmp_path)
    assert result.returncode == 1
    assert "the database is open in another process. Stop the bot" in result.stderr
    assert usernames(tmp_path / "intake.db") == ["amina", "bakary"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"name,phone\n", "it is not a SQLite database"),
        (None, "it has no alembic_version table: not a database of this bot"),
    ],
)
def test_db_restore_refuses_what_is_no_backup_of_this_bot(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    add_user(tmp_path, "amina")
    other = tmp_path / "other.db"
    if content is None:
        with contextlib.closing(sqlite3.connect(other)) as db:
            db.execute("CREATE TABLE accounts (username TEXT)")
    else:
        other.write_bytes(content)
    result = run(["db", "restore", "other.db"], tmp_path)
    assert result.returncode == 1
    assert f"Nothing restored: other.db is not a backup of this bot: {reason}." in result.stderr
    assert usernames(tmp_path / "intake.db") == ["amina"]


@pytest.mark.parametrize(
    ("command", "tool"),
    [
        (
            "backup",
            "pg_dump --format=custom --file=intake.dump --host=db.example.org --port=5433 "
            "--username=intake --dbname=avrr",
        ),
        (
            "restore",
            "pg_restore --clean --if-exists --no-owner --single-transaction "
            "--host=db.example.org --port=5433 --username=intake --dbname=avrr intake.dump",
        ),
    ],
)
def test_postgresql_is_copied_with_its_own_tools(tmp_path: Path, command: str, tool: str) -> None:
    url = "postgresql+asyncpg://intake:s3cr%3Dt@db.example.org:5433/avrr"
    result = run(["db", command, "intake.dump"], tmp_path, DATABASE_URL=url)
    assert result.returncode == 2
    assert f"\n    {tool}\n" in result.stderr
    assert "s3cr" not in result.stdout + result.stderr
    assert not (tmp_path / "intake.dump").exists()
