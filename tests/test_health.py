"""GET /healthz: the database, the oldest unhandled update and the oldest unsent message,
with 503 past the limits; no sign-in and no personal data."""

from __future__ import annotations

from pathlib import Path

from telegram import Update

from bot.app import Runtime, build
from bot.chat.transport import TIMEOUT, OfflineBotAPI
from bot.config import Settings
from tests.helpers import Clock, browser


async def test_healthy_then_late_updates_then_late_messages(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    async with browser(bot.web) as client:
        answer = await client.get("/healthz")
        assert answer.status_code == 200
        assert answer.json() == {
            "database": "ok",
            "oldest_update_seconds": 0.0,
            "oldest_message_seconds": 0.0,
            "status": "ok",
        }
        person = api.person(801, "Awa Diallo", "en")
        await bot.inbox.receive([person.text("My name is Awa Diallo")])  # not handled: no loop
        clock.advance(seconds=121)
        late = await client.get("/healthz")
        assert late.status_code == 503
        assert late.json()["oldest_update_seconds"] == 121.0
        assert "Awa" not in late.text and "801" not in late.text
        # A reply Telegram does not take waits in the outbox.
        api.fail("sendMessage", TIMEOUT, "timed out")
        await bot.application.process_update(
            Update.de_json(person.text("/help"), bot.application.bot)
        )
        clock.advance(seconds=901)
        body = (await client.get("/healthz")).json()
        assert body["oldest_message_seconds"] == 901.0 and body["status"] == "late"


async def test_a_database_that_does_not_answer_is_503(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'gone' / 'intake.db'}",
        telegram_bot_token=None,
    )
    (tmp_path / "gone").mkdir()
    bot = await build(settings, offline=OfflineBotAPI(), migrate=True)
    await bot.store.close()
    (tmp_path / "gone" / "intake.db").unlink()
    (tmp_path / "gone").rmdir()
    async with browser(bot.web) as client:
        answer = await client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"database": "unreachable"}
