"""Acting on the queue's filtered selection at once: counted first, then done case by case,
each case's refusal with its reason, everything audited on each case."""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bot.app import Runtime
from bot.bulk import BULK_LIMIT, Action, Bulk, Plan
from bot.casework import Casework, Refused, StatusChange
from bot.message_templates import MessageTemplates
from bot.roles import Role
from bot.store import AuditEvent, Person, PreRegistration, accounts, assignment, cases
from bot.store.queue import CaseFilter
from tests.helpers import add_account, add_case, browser, sign_in, table_rows, token


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        yield client


async def set_status(bot: Runtime, reference: str, status: str) -> None:
    table = PreRegistration.__table__
    async with bot.store.unit() as unit:
        await unit.connection.execute(
            update(table).where(table.c.reference == reference).values(status=status)
        )


async def statuses(bot: Runtime) -> dict[str, str]:
    return {r["reference"]: r["status"] for r in await table_rows(bot, PreRegistration)}


async def audited(bot: Runtime, action: str) -> list[Any]:
    return [e for e in await table_rows(bot, AuditEvent) if e["action"] == action]


async def confirm(client: httpx.AsyncClient, query: str, **plan: str) -> httpx.Response:
    """Open the bulk form for the queue's filter `query`, and post `plan`: the confirmation."""
    page = await client.get(f"/bulk?{query}")
    assert page.status_code == 200, page.text
    filters = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    return await client.post("/bulk", data={**filters, "csrf_token": token(page), **plan})


async def run(client: httpx.AsyncClient, confirmation: httpx.Response) -> httpx.Response:
    """Press the confirmation page's button: its hidden fields, as a browser sends them."""
    assert confirmation.status_code == 200, confirmation.text
    form = confirmation.text.split('action="/bulk/run"')[1].split("</form>")[0]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form):
        fields.setdefault(name, []).append(html.unescape(value))
    return await client.post("/bulk/run", data=fields)


async def test_the_confirmation_counts_the_filtered_cases_and_nothing_is_done_before(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    senegal = [await add_case(bot, 100 + n, nationality="SN") for n in range(3)]
    other = await add_case(bot, 110, nationality="ML")
    await add_account(bot)
    await sign_in(client)
    queue = await client.get("/?nationality=SN")
    assert 'href="/bulk?nationality=SN"' in queue.text
    form = await client.get("/bulk?nationality=SN")
    assert "3 cases match this filter." in form.text
    assert 'value="assign"' not in form.text  # a caseworker does not give cases
    assert '<option value="in_review"' in form.text
    assert '<option value="submitted"' not in form.text  # no status leads back there
    assert '<option value="needs_info"' not in form.text  # its questions are case by case
    confirmation = await confirm(client, "nationality=SN", action="status", to_status="in_review")
    assert "<strong>3 cases</strong> · Change the status to: Being reviewed" in confirmation.text
    assert "Confirm for these 3 cases" in confirmation.text
    for reference in senegal:
        assert f'name="case" value="{reference}"' in confirmation.text
    assert other not in confirmation.text
    assert set((await statuses(bot)).values()) == {"submitted"}  # counted, not done
    assert await audited(bot, "case.status_changed") == []
    done = await run(client, confirmation)
    assert "Done: 3. Refused: 0." in done.text
    assert await statuses(bot) == {**{r: "in_review" for r in senegal}, other: "submitted"}


async def test_each_case_is_refused_with_its_reason_and_the_others_are_done_and_audited(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    fresh = [await add_case(bot, 120 + n) for n in range(2)]
    accepted, closed = await add_case(bot, 130), await add_case(bot, 131)
    await set_status(bot, accepted, "accepted")
    await set_status(bot, closed, "closed")
    await add_account(bot)
    await sign_in(client)
    confirmation = await confirm(client, "", action="status", to_status="in_review", notify="no")
    assert "<strong>4 cases</strong>" in confirmation.text
    done = await run(client, confirmation)
    assert done.status_code == 200 and "Done: 2. Refused: 2." in done.text
    rows = re.findall(r'<tr class="(\w+)"><td[^>]*><a href="/cases/([\w-]+)">.*?<td[^>]*>(.*?)</td>', done.text,
                      re.S)  # fmt: skip
    outcomes = {reference: (kind, text.strip()) for kind, reference, text in rows}
    refusal = ("refused", "Refused: This status change is not allowed.")
    assert outcomes == {
        **{reference: ("done", "Done") for reference in fresh},
        accepted: refusal,
        closed: refusal,
    }
    ids = {r["reference"]: r["id"] for r in await table_rows(bot, PreRegistration)}
    changed = await audited(bot, "case.status_changed")
    assert sorted(e["pre_registration_id"] for e in changed) == sorted(ids[r] for r in fresh)
    refused = await audited(bot, "case.bulk_refused")
    assert sorted(e["pre_registration_id"] for e in refused) == sorted([ids[accepted], ids[closed]])
    assert {e["details"]["reason"] for e in refused} == {"This status change is not allowed."}
    assert all(e["actor"] == "amina" for e in changed + refused)
    (summary,) = await audited(bot, "cases.bulk")
    assert summary["details"] == {
        "bulk": "status", "count": 4, "done": 2, "refused": 2, "to_status": "in_review",
    }  # fmt: skip


async def test_what_every_case_would_refuse_is_refused_before_with_the_form_kept(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_case(bot, 140)
    await add_account(bot)
    await sign_in(client)
    no_note = await confirm(
        client, "", action="status", to_status="withdrawn", return_date="2026-12-01"
    )
    assert no_note.status_code == 400
    assert "Write a note to explain this decision." in no_note.text
    assert '<option value="withdrawn" selected>' in no_note.text
    assert 'value="2026-12-01"' in no_note.text
    no_time = await confirm(client, "", action="template", template="invitation", date="2026-12-03")
    assert no_time.status_code == 400
    assert "Fill in what this template needs: Time." in no_time.text
    assert '<option value="invitation" selected>' in no_time.text
    nothing = await confirm(client, "")
    assert nothing.status_code == 400 and "Choose what to do to these cases." in nothing.text
    none_match = await client.get("/bulk?nationality=ML")
    assert "0 cases match" in none_match.text and 'action="/bulk"' not in none_match.text
    data = {"csrf_token": token(none_match), "nationality": "ML", "action": "status",
            "to_status": "in_review"}  # fmt: skip
    posted = await client.post("/bulk", data=data)
    assert posted.status_code == 400 and "No case matches this filter." in posted.text
    assert await audited(bot, "cases.bulk") == []


async def test_my_cases_in_bulk_are_mine_only_and_refusals_chosen_case_by_case_are_not_offered(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    mine = [await add_case(bot, 170 + n) for n in range(2)]
    theirs = await add_case(bot, 180)
    await add_account(bot)
    await add_account(bot, "karim")
    async with bot.store.unit() as unit:
        amina, karim = (
            await accounts.by_username(unit, "amina"),
            await accounts.by_username(unit, "karim"),
        )
    assert amina is not None and karim is not None
    async with bot.store.unit() as unit:
        for reference, owner in ((mine[0], amina), (mine[1], amina), (theirs, karim)):
            case = await cases.by_reference(unit, reference)
            assert case is not None
            await assignment.assign(unit, case.id, owner.id, "sara", bot.service.clock())
    await sign_in(client)
    form = await client.get("/bulk?assigned=me")
    assert "2 cases match this filter." in form.text
    for kept_out in ("rejected", "duplicate", "needs_info"):
        assert f'<option value="{kept_out}"' not in form.text
    confirmation = await confirm(client, "assigned=me", action="status", to_status="in_review")
    assert "<strong>2 cases</strong>" in confirmation.text and theirs not in confirmation.text
    done = await run(client, confirmation)
    assert "Done: 2. Refused: 0." in done.text
    assert (await statuses(bot))[theirs] == "submitted"


async def test_only_supervisors_give_cases_in_bulk_each_audited(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    references = [await add_case(bot, 150 + n) for n in range(3)]
    await add_account(bot, "amina", "caseworker")
    await add_account(bot, "chief", "supervisor")
    async with bot.store.unit() as unit:
        amina = await accounts.by_username(unit, "amina")
    assert amina is not None
    await sign_in(client, "amina")
    forbidden = await confirm(client, "", action="assign", account=str(amina.id))
    assert forbidden.status_code == 403
    page = await client.get("/bulk")
    forged = {"csrf_token": token(page), "action": "assign", "account": str(amina.id),
              "case": references}  # fmt: skip
    assert (await client.post("/bulk/run", data=forged)).status_code == 403
    assert await audited(bot, "case.assigned") == []

    async with browser(bot.web) as chief:
        await sign_in(chief, "chief")
        form = await chief.get("/bulk")
        assert 'value="assign"' in form.text and f'<option value="{amina.id}"' in form.text
        confirmation = await confirm(chief, "", action="assign", account=str(amina.id))
        assert "<strong>3 cases</strong> · Give the cases to amina" in confirmation.text
        done = await run(chief, confirmation)
        assert "Done: 3. Refused: 0." in done.text
    assigned = await audited(bot, "case.assigned")
    assert len(assigned) == 3 and {e["actor"] for e in assigned} == {"chief"}
    assert {e["details"]["account_id"] for e in assigned} == {amina.id}
    rows = await table_rows(bot, PreRegistration)
    assert {r["assigned_to"] for r in rows} == {amina.id}


async def test_a_template_sent_in_bulk_reaches_each_person_in_their_language(
    bot: Runtime, client: httpx.AsyncClient, api: Any
) -> None:
    french, english = await add_case(bot, 160), await add_case(bot, 161)
    async with bot.store.unit() as unit:
        people = Person.__table__
        await unit.connection.execute(
            update(people).where(people.c.telegram_id == 161).values(language="en")
        )
    await add_account(bot)
    await sign_in(client)
    confirmation = await confirm(
        client, "", action="template", template="travel_document", date="2026-12-03", time="9:05"
    )
    assert "Send the template: Travel document received" in confirmation.text
    done = await run(client, confirmation)
    assert "Done: 2. Refused: 0." in done.text
    (to_french,) = [m.text for m in api.messages(160)]
    (to_english,) = [m.text for m in api.messages(161)]
    assert f"le 3 décembre 2026 à 09:05, avec votre référence {french}." in to_french
    assert f"on December 3, 2026 at 09:05 to collect it, and bring your reference {english}." in (
        to_english
    )
    sent = await audited(bot, "case.message_sent")
    assert sorted(e["details"]["language"] for e in sent) == ["en", "fr"]
    assert {e["details"]["template"] for e in sent} == {"travel_document"}


def casework(bot: Runtime) -> Casework:
    """The case use-cases, told nothing to send (status changes in bulk need not)."""

    async def notify(telegram_id: int, text: str) -> bool:
        raise AssertionError("nothing is sent")

    async def ask_again(case_id: int, steps: list[str]) -> bool:
        raise AssertionError("nothing is asked")

    return Casework(
        bot.store, bot.flow, bot.catalogs, bot.service.clock, notify, ask_again,
        office="OIM Rabat", notified=frozenset(), followups=bot.followups,
    )  # fmt: skip


def bulk(bot: Runtime, limit: int = BULK_LIMIT) -> Bulk:
    work = casework(bot)
    return Bulk(bot.store, work, MessageTemplates(bot.store, bot.catalogs, work), limit)


async def test_two_hundred_cases_are_done_in_reasonable_time_one_transaction_each(
    bot: Runtime,
) -> None:
    """A refusal in the middle of the selection undoes nothing before or after it."""
    references = [await add_case(bot, 1000 + n) for n in range(200)]
    await set_status(bot, references[100], "closed")
    plan = Plan(Action.STATUS, change=StatusChange("in_review", tell=False))
    started = time.monotonic()
    outcomes = await bulk(bot).run(plan, references, "amina", Role.CASEWORKER, "en")
    elapsed = time.monotonic() - started
    assert elapsed < 30, elapsed  # a few seconds here: a page should not wait minutes
    assert [o.reference for o in outcomes if not o.done] == [references[100]]
    after = await statuses(bot)
    assert sum(status == "in_review" for status in after.values()) == 199
    assert len(await audited(bot, "case.status_changed")) == 199


async def test_a_selection_past_the_limit_is_refused(bot: Runtime) -> None:
    for n in range(3):
        await add_case(bot, 2000 + n)
    assert len(await bulk(bot, limit=3).select(CaseFilter())) == 3
    with pytest.raises(Refused) as refused:
        await bulk(bot, limit=2).select(CaseFilter())
    assert refused.value.reason == "Too many cases at once: narrow the filter."
