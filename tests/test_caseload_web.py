"""Who works which case, in the dashboard: the inbox, the workload table, and taking,
giving and acknowledging on the case page, as caseworkers and supervisors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.app import Runtime
from bot.store import AuditEvent, accounts, assignment, cases, messages
from bot.store.caseload import OPEN
from tests.helpers import Clock, add_account, add_case, browser, sign_in, table_rows, token


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        yield client


def refs(page: httpx.Response) -> list[str]:
    return re.findall(r'href="/cases/(AVR-\d{4}-\d{5})"', page.text)


async def account_id(bot: Runtime, name: str) -> int:
    async with bot.store.unit() as unit:
        found = await accounts.by_username(unit, name)
    assert found is not None
    return found.id


async def give(bot: Runtime, reference: str, name: str | None) -> None:
    who = await account_id(bot, name) if name else None
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        await assignment.assign(unit, case.id, who, "setup", bot.service.clock())


async def owner(bot: Runtime, reference: str) -> int | None:
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        return await assignment.assignee(unit, case.id)


async def person_writes(bot: Runtime, reference: str) -> None:
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        await messages.add(unit, case.id, "in", None, "Hello?", True, bot.service.clock())


async def post(client: httpx.AsyncClient, url: str, **data: str) -> httpx.Response:
    page = await client.get("/inbox")
    return await client.post(url, data={"csrf_token": token(page), **data})


@pytest.mark.parametrize("path", ["/inbox", "/workload", "/inbox?scope=all"])
async def test_the_inbox_and_workload_want_a_sign_in(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_a_caseworkers_inbox_is_their_own_cases_and_the_others_are_a_click_away(
    bot: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    await add_account(bot, "amina")
    await add_account(bot, "bilal")
    mine = await add_case(bot, 1, full_name="Awa Diallo")
    clock.advance(minutes=1)
    theirs = await add_case(bot, 2, full_name="Jean Mbeki")
    clock.advance(minutes=1)
    nobodys = await add_case(bot, 3, full_name="Fatou Ndiaye", flags=["urgent_health"])
    await give(bot, mine, "amina")
    await give(bot, theirs, "bilal")
    await sign_in(client, "amina")
    page = await client.get("/inbox")
    assert refs(page) == [mine] and 'class="current">My cases' in page.text
    assert refs(await client.get("/inbox?scope=unassigned")) == [nobodys]
    everyone = await client.get("/inbox?scope=all")
    assert refs(everyone) == [nobodys, mine, theirs]  # the red flag first
    assert "Red flag" in everyone.text and "New request" in everyone.text
    assert refs(await client.get("/inbox?scope=made-up")) == [mine]


async def test_a_supervisors_inbox_shows_the_cases_nobody_has_and_links_the_workload(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await add_account(bot, "amina")
    nobodys = await add_case(bot, 1)
    given = await add_case(bot, 2)
    await give(bot, given, "amina")
    await sign_in(client, "chief")
    page = await client.get("/inbox")
    assert refs(page) == [nobodys] and 'href="/workload"' in page.text
    assert 'class="current">Unassigned' in page.text
    assert refs(await client.get("/inbox?scope=all")) == [nobodys, given]


async def test_the_inbox_pages_through_a_caseworkers_two_hundred_cases(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "amina")
    amina = await account_id(bot, "amina")
    for n in range(200):
        reference = await add_case(bot, 1000 + n, full_name=f"Person {n}")
        async with bot.store.unit() as unit:
            case = await cases.by_reference(unit, reference)
            assert case is not None
            await assignment.assign(unit, case.id, amina, "setup", bot.service.clock())
    await sign_in(client, "amina")
    first = await client.get("/inbox")
    assert "200 cases need action" in first.text and "Page 1 of 4" in first.text
    assert len(refs(first)) == 50
    last = await client.get("/inbox?scope=mine&page=4")
    assert len(refs(last)) == 50 and not set(refs(last)) & set(refs(first))
    queue = await client.get("/?assigned=me")  # the queue's own filter pages too
    assert "200 requests" in queue.text and "Page 1 of 4" in queue.text


async def test_a_caseworker_takes_a_case_nobody_has_but_not_someone_elses(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "amina")
    await add_account(bot, "bilal")
    reference = await add_case(bot, 1)
    await sign_in(client, "amina")
    page = await client.get(f"/cases/{reference}")
    assert "Nobody has this case yet." in page.text and "Take this case" in page.text
    assert 'action="/cases/' + reference + '/assign"' not in page.text  # no select for them
    response = await post(client, f"/cases/{reference}/take")
    assert response.status_code == 303
    assert await owner(bot, reference) == await account_id(bot, "amina")
    page = await client.get(f"/cases/{reference}")
    assert "Assigned to amina" in page.text and "Take this case" not in page.text
    queue = await client.get("/")
    assert 'data-label="Caseworker">amina</td>' in queue.text
    async with browser(bot.web) as other:
        await sign_in(other, "bilal")
        refused = await post(other, f"/cases/{reference}/take")
        assert refused.status_code == 400 and "Someone else has this case" in refused.text
        forbidden = await post(
            other, f"/cases/{reference}/assign", account=str(await account_id(bot, "bilal"))
        )
        assert forbidden.status_code == 403
    assert await owner(bot, reference) == await account_id(bot, "amina")
    actions = [e.action for e in await table_rows(bot, AuditEvent)]
    assert actions.count("case.assigned") == 1


async def test_a_supervisor_gives_a_case_to_an_active_caseworker_from_the_case_page(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await add_account(bot, "amina")
    await add_account(bot, "gone")
    async with bot.store.unit() as unit:
        await accounts.set_active(unit, await account_id(bot, "gone"), False)
    reference = await add_case(bot, 1)
    await sign_in(client, "chief")
    page = await client.get(f"/cases/{reference}")
    assert ">amina (Caseworker)</option>" in page.text and "gone" not in page.text
    amina = await account_id(bot, "amina")
    response = await post(client, f"/cases/{reference}/assign", account=str(amina))
    assert response.status_code == 303 and await owner(bot, reference) == amina
    page = await client.get(f"/cases/{reference}")
    assert f'<option value="{amina}" selected>' in page.text
    refused = await post(
        client, f"/cases/{reference}/assign", account=str(await account_id(bot, "gone"))
    )
    assert refused.status_code == 400 and "This account cannot be given cases." in refused.text
    await post(client, f"/cases/{reference}/assign", account="")
    assert await owner(bot, reference) is None


async def test_a_red_flag_is_acknowledged_on_the_case_page_and_leaves_the_inbox(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "amina")
    reference = await add_case(bot, 1, flags=["unsafe", "family_case"])
    await give(bot, reference, "amina")
    await sign_in(client, "amina")
    inbox = await client.get("/inbox")
    assert "Red flag" in inbox.text
    url = f"/cases/{reference}/flags/unsafe/acknowledge"
    refused = await post(client, url, acknowledgement="   ")
    assert refused.status_code == 400 and "Say in a note what was done." in refused.text
    await post(client, url, acknowledgement="Called")
    again = await post(client, url, acknowledgement="Called twice")  # already seen to
    assert again.status_code == 400 and "acknowledged already" in again.text
    async with bot.store.unit() as unit:  # raised again by a later check-in
        case = await cases.by_reference(unit, reference)
        assert case is not None
        await cases.add_flag(unit, case.id, "unsafe")
    refused = await post(
        client, f"/cases/{reference}/flags/family_case/acknowledge", acknowledgement="x"
    )
    assert refused.status_code == 400
    response = await post(client, url, acknowledgement="Called them: <safe> at a friend's")
    assert response.status_code == 303
    page = await client.get(f"/cases/{reference}")
    assert "Acknowledged by amina on 2026-11-27 10:00:" in page.text
    assert "&lt;safe&gt; at a friend" in page.text and "Does not feel safe" in page.text
    assert url not in page.text  # no form left for it
    inbox = await client.get("/inbox")
    assert "Red flag" not in inbox.text and "New request" in inbox.text
    actions = [e.action for e in await table_rows(bot, AuditEvent)]
    assert actions.count("case.flag_acknowledged") == 2  # before it was raised again, and after


async def test_the_persons_messages_stay_unread_until_the_cases_caseworker_opens_it(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "amina")
    await add_account(bot, "bilal")
    reference = await add_case(bot, 1)
    await give(bot, reference, "amina")
    await person_writes(bot, reference)
    async with browser(bot.web) as other:
        await sign_in(other, "bilal")
        page = await other.get(f"/cases/{reference}")
        assert "not yet opened by the case" in page.text and "caseworker: 1<" in page.text
        assert "1 unread" in (await other.get("/")).text  # still, for amina
    await sign_in(client, "amina")
    assert "1 unread" in (await client.get("/inbox")).text
    page = await client.get(f"/cases/{reference}")
    assert "not yet opened by the case" not in page.text
    assert "unread" not in (await client.get("/")).text
    inbox = await client.get("/inbox")
    assert "unread" not in inbox.text and "New request" in inbox.text


async def test_supervisors_see_the_workload_of_each_caseworker(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await add_account(bot, "amina")
    first = await add_case(bot, 1, flags=["wants_human"])
    await add_case(bot, 2)
    await give(bot, first, "amina")
    await person_writes(bot, first)
    await sign_in(client, "amina")
    assert (await client.get("/workload")).status_code == 403
    assert 'href="/workload"' not in (await client.get("/inbox")).text
    async with browser(bot.web) as chief:
        await sign_in(chief, "chief")
        page = await chief.get("/workload")
    assert page.status_code == 200
    rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", page.text, re.S)
    cells = {name: re.findall(r"<td[^>]*>(\d+)</td>", rest) for name, rest in rows}
    # submitted, then each later open status; open; red; unread; due
    later = ["0"] * (len(OPEN) - 1)
    assert cells["amina · Caseworker"] == ["1", *later, "1", "1", "1", "0"]
    assert cells["chief · Supervisor"] == ["0"] * (len(OPEN) + 4)
    assert cells["Nobody (unassigned)"] == ["1", *later, "1", "0", "0", "0"]
