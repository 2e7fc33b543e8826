"""Shared fixtures: a real database per test, and the real PTB application over the
in-process Bot API."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Update

from bot.app import Runtime, build
from bot.chat import local_api
from bot.chat.transport import BotMessage, OfflineBotAPI, SimulatedPerson
from bot.config import Settings
from bot.lifecycle import running

POSTGRES_ENV = "TEST_DATABASE_URL"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def _backends() -> list[Any]:
    postgres = os.environ.get(POSTGRES_ENV)
    skip = pytest.mark.skip(reason=f"{POSTGRES_ENV} is not set: no PostgreSQL to test against")
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(postgres, id="postgres", marks=() if postgres else skip),
    ]


@pytest.fixture(params=_backends())
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    await reset_postgres(request.param)
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=database_url,
        telegram_bot_token=None,
        office_name="OIM Rabat",
        office_contact="+212 537 00 00 00",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api() -> OfflineBotAPI:
    return OfflineBotAPI()


@pytest.fixture
async def bot(settings: Settings, api: OfflineBotAPI, clock: Clock) -> AsyncIterator[Runtime]:
    bot = await build(settings, offline=api, clock=clock)
    await bot.start()
    yield bot
    await bot.stop()


@pytest.fixture
async def polling(bot: Runtime) -> AsyncIterator[Runtime]:
    """The bot fetching its updates with getUpdates, as in production."""
    async with running(bot):
        yield bot


@pytest.fixture
async def local_telegram() -> AsyncIterator[tuple[OfflineBotAPI, str]]:
    """The in-process Bot API on 127.0.0.1, with its base URL."""
    api = OfflineBotAPI()
    config = uvicorn.Config(
        local_api.app(api),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        # Like Telegram's servers, it keeps idle connections longer than the bot's client
        # (httpx, 5 s) does, so a request never meets a connection being closed.
        timeout_keep_alive=75,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield api, f"http://127.0.0.1:{port}/bot"
    server.should_exit = True
    await task


@dataclass
class Phone:
    """A simulated person whose updates go through the real PTB Application."""

    bot: Runtime
    person: SimulatedPerson

    async def send(self, update: dict[str, Any]) -> BotMessage:
        app = self.bot.application
        await app.process_update(Update.de_json(update, app.bot))
        return self.person.last

    async def say(self, text: str) -> BotMessage:
        return await self.send(self.person.text(text))

    async def tap(self, label: str) -> BotMessage:
        """Tap the newest button whose text contains `label`."""
        return await self.send(self.person.tap(label))

    async def choose(self, value: str) -> BotMessage:
        """Tap the newest button that answers `value` (whatever its label's language)."""
        for message in reversed(self.inbox):
            for button in message.buttons:
                data = button["callback_data"]
                if data.endswith(f"|{value}"):
                    return await self.send(self.person.tap(data=data, message=message))
        raise LookupError(
            f"no button for {value!r} in {[b for m in self.inbox[-2:] for b in m.buttons]}"
        )

    @property
    def last(self) -> BotMessage:
        return self.person.last

    @property
    def inbox(self) -> list[BotMessage]:
        return self.person.inbox


@pytest.fixture
def phone_factory(bot: Runtime, api: OfflineBotAPI) -> Any:
    def make(user_id: int = 5001, language: str | None = "fr", name: str = "Awa") -> Phone:
        return Phone(bot, api.person(user_id, name, language))

    return make


async def table_rows(bot: Runtime, model: Any) -> list[Any]:
    """Every row of a model's table, as mappings, in id order where there is one."""
    table = model.__table__
    query = select(table)
    if "id" in table.c:
        query = query.order_by(table.c.id)
    async with bot.store.unit() as unit:
        return list((await unit.connection.execute(query)).mappings())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-transcripts",
        action="store_true",
        help="rewrite the expected events of tests/engine/*.yaml from what the engine does now",
    )
