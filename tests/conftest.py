"""Shared fixtures: a real database per test, and the real PTB application over the
in-process Bot API."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bot.app import Runtime, build
from bot.chat import local_api
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.lifecycle import running
from tests.browser import CHROMIUM, FLAGS
from tests.helpers import Clock, Phone, reset_postgres

POSTGRES_ENV = "TEST_DATABASE_URL"


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


@pytest.fixture
def phone_factory(bot: Runtime, api: OfflineBotAPI) -> Any:
    def make(user_id: int = 5001, language: str | None = "fr", name: str = "Awa") -> Phone:
        return Phone(bot, api.person(user_id, name, language))

    return make


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-transcripts",
        action="store_true",
        help="rewrite the expected events of tests/engine/*.yaml from what the engine does now",
    )


@pytest.fixture
async def dashboard(bot: Runtime) -> AsyncIterator[str]:
    """The real dashboard on 127.0.0.1, with its base URL."""
    config = uvicorn.Config(
        bot.web,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,  # the simulator page holds a request open
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = await browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        page = await context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        page.dialogs = dialogs
        yield page
        await browser.close()
