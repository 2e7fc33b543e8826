"""The dashboard's Telegram notifications page: a one-time code for the signed-in account,
and unlinking its chat."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.app import Runtime
from bot.store.models import AuditEvent, StaffChat, StaffLinkCode
from tests.helpers import Phone, add_account, browser, sign_in, table_rows, token

CODE = re.compile(r"/link ([A-Z0-9]{10})")


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        yield client


async def shown_code(client: httpx.AsyncClient) -> str:
    page = await client.get("/telegram")
    response = await client.post("/telegram/code", data={"csrf_token": token(page)})
    assert response.status_code == 200
    assert "no-store" in response.headers["cache-control"]
    found = CODE.search(response.text)
    assert found, response.text
    return found.group(1)


async def test_the_page_needs_a_signed_in_account(client: httpx.AsyncClient) -> None:
    response = await client.get("/telegram")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert (await client.post("/telegram/code")).status_code == 303


async def test_a_caseworker_gets_a_code_that_links_their_chat_and_can_unlink_it(
    bot: Runtime, client: httpx.AsyncClient, phone_factory: Any
) -> None:
    await add_account(bot, "amina", "caseworker")
    await sign_in(client, "amina")
    page = await client.get("/telegram")
    assert "No Telegram chat is linked to your account." in page.text
    code = await shown_code(client)
    (stored,) = await table_rows(bot, StaffLinkCode)
    assert code not in str(dict(stored))  # only its hash is kept
    phone: Phone = phone_factory(9001, "en", "Amina")
    await phone.say(f"/link {code}")
    assert "dashboard account amina" in phone.last.text
    page = await client.get("/telegram")
    assert "Your Telegram chat is linked since November 27, 2026." in page.text
    response = await client.post("/telegram/unlink", data={"csrf_token": token(page)})
    assert response.status_code == 303 and response.headers["location"] == "/telegram"
    assert await table_rows(bot, StaffChat) == []
    actions = [(r["actor"], r["action"]) for r in await table_rows(bot, AuditEvent)]
    assert ("amina", "staff_chat.code_shown") in actions
    assert ("amina", "staff_chat.linked") in actions
    assert ("amina", "staff_chat.unlinked") in actions


async def test_the_page_shows_the_deep_link_once_the_bot_name_is_known(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "sara", "supervisor")
    await sign_in(client, "sara")
    code = await shown_code(client)
    page = await client.post("/telegram/code", data={"csrf_token": token(await client.get("/"))})
    username = bot.application.bot.username
    assert f"https://t.me/{username}?start=staff-" in page.text
    assert code not in page.text  # a new code replaced it


async def test_a_code_is_not_given_without_the_form_token(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "amina", "caseworker")
    await sign_in(client, "amina")
    assert (await client.post("/telegram/code", data={})).status_code == 403
    assert (await client.post("/telegram/unlink", data={})).status_code == 403
    assert await table_rows(bot, StaffLinkCode) == []


async def test_the_page_is_in_the_account_language(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot, "amina", "caseworker")
    await sign_in(client, "amina")
    await client.post("/language", data={"csrf_token": token(await client.get("/")),
                                         "language": "fr", "next": "/telegram"})  # fmt: skip
    page = await client.get("/telegram")
    assert "Alertes Telegram" in page.text
    assert "Aucune discussion Telegram n’est liée à votre compte." in page.text
