"""Password resets: a supervisor's one-time link or temporary password, and changing one's own."""

from __future__ import annotations

import hashlib
import re

import pytest

from bot.accounts import LINK_INVALID, Accounts, PasswordRefused
from bot.app import Runtime
from bot.store import AuditEvent, accounts
from bot.store.accounts import AccountRecord
from bot.store.models import PasswordReset
from tests.helpers import (
    PASSWORD,
    Clock,
    add_account,
    add_case,
    browser,
    sign_in,
    table_rows,
    token,
)

NEW = "a brand new long password"


async def _account(bot: Runtime, name: str) -> AccountRecord:
    async with bot.store.unit() as unit:
        found = await accounts.by_username(unit, name)
    assert found is not None
    return found


@pytest.fixture
async def people(bot: Runtime) -> tuple[Accounts, AccountRecord, AccountRecord]:
    await add_account(bot, "chief", "supervisor")
    await add_account(bot, "amina")
    service = Accounts(bot.store, bot.service.clock)
    return service, await _account(bot, "chief"), await _account(bot, "amina")


async def _signs_in(bot: Runtime, name: str, password: str) -> bool:
    async with browser(bot.web) as client:
        page = await client.get("/login")
        data = {"username": name, "password": password, "csrf_token": token(page)}
        return (await client.post("/login", data=data)).status_code == 303


async def test_a_reset_link_works_once(
    bot: Runtime, people: tuple[Accounts, AccountRecord, AccountRecord]
) -> None:
    service, chief, amina = people
    link = await service.reset_link(chief, amina.id)
    assert await service.link_works(link)
    await service.use_link(link, NEW, NEW)
    assert not await service.link_works(link)
    with pytest.raises(PasswordRefused) as refused:
        await service.use_link(link, "another long password", "another long password")
    assert refused.value.reason == LINK_INVALID
    assert await _signs_in(bot, "amina", NEW)
    assert not await _signs_in(bot, "amina", PASSWORD)


async def test_a_reset_link_expires_after_a_day(
    bot: Runtime, clock: Clock, people: tuple[Accounts, AccountRecord, AccountRecord]
) -> None:
    service, chief, amina = people
    link = await service.reset_link(chief, amina.id)
    clock.advance(hours=24, seconds=1)
    with pytest.raises(PasswordRefused):
        await service.use_link(link, NEW, NEW)
    assert await _signs_in(bot, "amina", PASSWORD)


async def test_a_new_link_ends_the_older_one_and_only_hashes_are_kept(
    bot: Runtime, people: tuple[Accounts, AccountRecord, AccountRecord]
) -> None:
    service, chief, amina = people
    first = await service.reset_link(chief, amina.id)
    second = await service.reset_link(chief, amina.id)
    assert not await service.link_works(first) and await service.link_works(second)
    (row,) = await table_rows(bot, PasswordReset)
    assert row["token_hash"] == hashlib.sha256(second.encode()).hexdigest()
    assert second not in str(dict(row))


async def test_a_weak_or_mistyped_password_leaves_the_link_usable(
    people: tuple[Accounts, AccountRecord, AccountRecord],
) -> None:
    service, chief, amina = people
    link = await service.reset_link(chief, amina.id)
    for new, again in ((NEW, NEW + "x"), ("short", "short"), ("password1234", "password1234")):
        with pytest.raises(PasswordRefused):
            await service.use_link(link, new, again)
    assert await service.link_works(link)


async def test_only_supervisors_reset_and_only_active_accounts(
    bot: Runtime, people: tuple[Accounts, AccountRecord, AccountRecord]
) -> None:
    service, chief, amina = people
    with pytest.raises(PasswordRefused):
        await service.reset_link(amina, chief.id)
    async with bot.store.unit() as unit:
        await accounts.set_active(unit, amina.id, False)
    with pytest.raises(PasswordRefused):
        await service.temporary_password(chief, amina.id)


async def test_a_temporary_password_opens_only_the_change_password_page(
    bot: Runtime, people: tuple[Accounts, AccountRecord, AccountRecord]
) -> None:
    reference = await add_case(bot, 1)
    async with browser(bot.web) as office, browser(bot.web) as amina:
        await sign_in(amina, "amina")
        await sign_in(office, "chief")
        page = await office.get("/accounts")
        target = people[2].id
        made = await office.post(
            f"/accounts/{target}/reset", data={"kind": "temporary", "csrf_token": token(page)}
        )
        assert made.status_code == 200
        temporary = re.search(r'<code class="secret">([^<]+)</code>', made.text)
        assert temporary is not None
        # The caseworker's open session ended with the reset.
        assert (await amina.get("/")).headers["location"].startswith("/login")
        assert not await _signs_in(bot, "amina", PASSWORD)

        page = await amina.get("/login")
        data = {"username": "amina", "password": temporary[1], "csrf_token": token(page)}
        assert (await amina.post("/login", data=data)).status_code == 303
        for path in ("/", f"/cases/{reference}", "/simulator"):
            response = await amina.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/password"
        form = await amina.get("/password")
        assert "temporary password" in form.text
        csrf = token(form)
        refused = await amina.post(
            "/password", data={"current": temporary[1], "new": NEW, "repeat": "typo",
                               "csrf_token": csrf},
        )  # fmt: skip
        assert refused.status_code == 400 and "differ" in refused.text
        done = await amina.post(
            "/password", data={"current": temporary[1], "new": NEW, "repeat": NEW,
                               "csrf_token": csrf},
        )  # fmt: skip
        assert done.status_code == 303
        assert (await amina.get("/")).status_code == 200  # still signed in, free to go on
    actions = [e["action"] for e in await table_rows(bot, AuditEvent)]
    assert "account.temporary_password_set" in actions and "account.password_changed" in actions
    assert temporary[1] not in str(await table_rows(bot, AuditEvent))


async def test_the_reset_link_page_in_french(
    bot: Runtime, people: tuple[Accounts, AccountRecord, AccountRecord]
) -> None:
    async with browser(bot.web) as office, browser(bot.web) as stranger:
        await sign_in(office, "chief")
        page = await office.get("/accounts")
        made = await office.post(
            f"/accounts/{people[2].id}/reset", data={"kind": "link", "csrf_token": token(page)}
        )
        link = re.search(r'<code class="secret">http://testserver(/password/reset/[^<]+)</code>',
                         made.text)  # fmt: skip
        assert link is not None
        await stranger.post("/language", data={"language": "fr",
                                               "csrf_token": token(await stranger.get("/login"))})  # fmt: skip
        form = await stranger.get(link[1])
        assert "Choisissez un nouveau mot de passe" in form.text
        data = {"new": NEW, "repeat": NEW, "csrf_token": token(form)}
        used = await stranger.post(link[1], data=data)
        assert used.headers["location"] == "/login"
        again = await stranger.get(link[1])
        assert again.status_code == 404 and "ne fonctionne plus" in again.text
    assert await _signs_in(bot, "amina", NEW)


async def test_changing_ones_password_needs_the_current_one(bot: Runtime) -> None:
    await add_account(bot, "amina")
    async with browser(bot.web) as client:
        await sign_in(client, "amina")
        form = await client.get("/password")
        data = {"current": "wrong", "new": NEW, "repeat": NEW, "csrf_token": token(form)}
        refused = await client.post("/password", data=data)
        assert refused.status_code == 400 and "current password is not right" in refused.text
    assert await _signs_in(bot, "amina", PASSWORD)
