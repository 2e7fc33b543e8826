"""Webhook mode: Telegram's updates POSTed to the dashboard's server, with a secret token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.app import Runtime, build
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.lifecycle import running, started
from bot.store import Person
from tests.helpers import Clock, table_rows

SECRET = "webhook-secret_123"


@pytest.fixture
async def hooked(settings: Settings, api: OfflineBotAPI, clock: Clock) -> AsyncIterator[Runtime]:
    settings = settings.model_copy(
        update={"webhook_url": "https://intake.example/telegram/webhook",
                "webhook_secret": SecretStr(SECRET)}
    )  # fmt: skip
    bot = await build(settings, offline=api, clock=clock)
    async with started(bot), running(bot):  # as `intake-bot run --webhook-url` does
        yield bot


async def post(bot: Runtime, update: dict[str, Any], secret: str | None) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    transport = httpx.ASGITransport(app=bot.web)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        return await client.post("/telegram/webhook", json=update, headers=headers)


async def test_updates_with_the_secret_are_handled(hooked: Runtime, api: OfflineBotAPI) -> None:
    assert api.webhook == {"url": "https://intake.example/telegram/webhook", "secret_token": SECRET}
    person = api.person(77, "Awa", "fr")
    response = await post(hooked, person.text("/start"), SECRET)
    assert response.status_code == 200
    async with asyncio.timeout(10):
        while not person.inbox:  # noqa: ASYNC110 - handled after the answer, by the queue
            await asyncio.sleep(0.01)
    assert person.last.text == "Choisissez votre langue."


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
async def test_a_missing_or_wrong_secret_is_refused_and_stores_nothing(
    hooked: Runtime, api: OfflineBotAPI, secret: str | None
) -> None:
    person = api.person(78, "Awa", "fr")
    response = await post(hooked, person.text("/start"), secret)
    assert response.status_code == 403
    await asyncio.sleep(0.2)
    assert person.inbox == []
    assert await table_rows(hooked, Person) == []


@pytest.mark.parametrize("body", [[1, 2], {"no": "update_id"}, {"update_id": "7"}])
async def test_malformed_updates_are_refused(hooked: Runtime, body: Any) -> None:
    assert (await post(hooked, body, SECRET)).status_code == 400


async def test_without_webhook_mode_the_route_refuses_everything(
    bot: Runtime, api: OfflineBotAPI
) -> None:
    person = api.person(79, "Awa", "fr")
    assert (await post(bot, person.text("/start"), "")).status_code == 403
