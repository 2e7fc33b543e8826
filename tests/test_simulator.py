"""The /simulator page over HTTP, in-process: its phones drive the bot by polling the
in-process Bot API, as `intake-bot run` does without a token."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bot.app import Runtime, build
from bot.config import Settings
from bot.store import people
from tests.helpers import add_account, sign_in, token


@pytest.fixture
async def staff(polling: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    await add_account(polling)
    transport = httpx.ASGITransport(app=polling.web)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_in(client)
        yield client


async def new_phone(client: httpx.AsyncClient, name: str, language: str) -> int:
    page = await client.get("/simulator")
    response = await client.post(
        "/simulator/phones", data={"name": name, "language": language, "csrf_token": token(page)}
    )
    assert response.status_code == 303
    match = re.search(r"phone=(\d+)", response.headers["location"])
    assert match
    return int(match[1])


async def screen_until(client: httpx.AsyncClient, user_id: int, text: str) -> str:
    """Follow the phone's screen, as the page's script does, until it shows `text`."""
    url, since, shown = f"/simulator/phones/{user_id}/screen", 0, ""
    try:
        async with asyncio.timeout(10):
            while text not in shown:
                response = await client.get(url, params={"since": since})
                if response.status_code == 200:
                    since = int(response.headers["x-phone-version"])
                    shown = html.unescape(response.text)
    except TimeoutError:
        raise AssertionError(f"{text!r} never shown; the screen:\n{shown}") from None
    return shown


def buttons(screen: str) -> dict[str, tuple[str, str]]:
    """Each inline button on the screen: its label -> (message id, callback data)."""
    forms = re.findall(
        r'name="message" value="(\d+)">\s*<input type="hidden" name="data" value="([^"]+)">'
        r"\s*<button[^>]*>([^<]+)</button>",
        screen,
    )
    return {html.unescape(label): (message, data) for message, data, label in forms}


async def send(client: httpx.AsyncClient, user_id: int, **form: str) -> None:
    page = await client.get(f"/simulator?phone={user_id}")
    action = "tap" if "data" in form else "send"
    response = await client.post(
        f"/simulator/phones/{user_id}/{action}",
        data={**form, "csrf_token": token(page)},
        headers={"x-requested-with": "simulator"},
    )
    assert response.status_code == 204


async def tap(client: httpx.AsyncClient, user_id: int, label: str) -> None:
    response = await client.get(f"/simulator/phones/{user_id}/screen")
    message, data = buttons(response.text)[label]
    await send(client, user_id, message=message, data=data)


async def test_pages_need_a_signed_in_account(bot: Runtime) -> None:
    transport = httpx.ASGITransport(app=bot.web)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/simulator")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2Fsimulator")
        assert (await client.post("/simulator/phones", data={"name": "x"})).status_code == 303


async def test_two_people_use_the_bot_at_once_and_see_answers_and_edits(
    staff: httpx.AsyncClient, polling: Runtime
) -> None:
    awa = await new_phone(staff, "Awa", "fr")
    john = await new_phone(staff, "John", "en")
    page = (await staff.get("/simulator")).text
    assert "Awa · Français" in page and "John · English" in page

    await send(staff, awa, kind="text", text="/start")
    await send(staff, john, kind="text", text="/start")
    await screen_until(staff, awa, "Choisissez votre langue.")
    assert "Choose your language." in await screen_until(staff, john, "Choose your language.")

    await tap(staff, awa, "Français")
    screen = await screen_until(staff, awa, "✅ Français")  # the question, edited
    assert "Choisissez votre langue.\n\n✅ Français" in screen
    await screen_until(staff, awa, "Je suis d'accord")  # the next question, in French

    await send(staff, john, kind="photo")
    screen = await screen_until(staff, john, "Please tap one of the buttons below.")
    assert "🖼 Photo" in screen
    assert "Choisissez" not in screen  # each phone shows only its own chat

    await send(staff, john, kind="text", text="<b>hello</b>")
    raw = (await staff.get(f"/simulator/phones/{john}/screen")).text
    assert "&lt;b&gt;hello&lt;/b&gt;" in raw and "<b>hello" not in raw

    async with polling.store.unit() as unit:
        person = await people.find(unit, awa)
    assert person is not None and person.language == "fr"  # the real pipeline stored it


async def test_a_forged_tap_or_unknown_phone_changes_nothing(
    staff: httpx.AsyncClient, polling: Runtime
) -> None:
    awa = await new_phone(staff, "Awa", "en")
    await send(staff, awa, kind="text", text="/start")
    await screen_until(staff, awa, "Choose your language.")
    assert polling.phones is not None
    phone = polling.phones.get(awa)
    assert phone is not None
    version, screen = phone.version, len(phone.screen)
    await send(staff, awa, message="1", data="1|language|xx")  # a button never shown
    await send(staff, awa, message="999", data="1|language|fr")  # a message never sent
    await asyncio.sleep(0.2)
    assert (phone.version, len(phone.screen)) == (version, screen)
    assert polling.offline is not None
    assert [c for c, _ in polling.offline.calls if c == "getUpdates"]  # yet the bot was polling
    page = await staff.get("/simulator")
    response = await staff.post(
        "/simulator/phones/12/send", data={"kind": "text", "text": "hi", "csrf_token": token(page)}
    )
    assert response.status_code == 404
    assert "No such simulated phone." in response.text
    forged = await staff.post(f"/simulator/phones/{awa}/send", data={"kind": "text", "text": "x"})
    assert forged.status_code == 403


async def test_with_a_telegram_token_the_page_explains_and_offers_no_phones(
    bot: Runtime, settings: Settings
) -> None:
    online = await build(
        settings.model_copy(update={"telegram_bot_token": SecretStr("123:abc")}), migrate=False
    )
    assert online.phones is None
    await add_account(bot)
    transport = httpx.ASGITransport(app=online.web)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await sign_in(client)
        page = await client.get("/simulator")
        assert "runs only when the bot has no Telegram token" in page.text
        assert 'action="/simulator/phones"' not in page.text
        assert 'href="/simulator"' not in page.text  # no menu entry either
        await client.post("/language", data={"language": "fr", "csrf_token": token(page)})
        missing = await client.post(
            "/simulator/phones", data={"name": "Awa", "csrf_token": token(page)}
        )
        assert missing.status_code == 404
        fr = online.catalogs.translator("fr")
        assert fr.gettext("The simulator runs only without a Telegram token.") in html.unescape(
            missing.text
        )
    await online.store.close()
