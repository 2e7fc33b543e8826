"""The queue's exports: every column of a case (age, the day each status was reached, the
caseworker, the project, the plan and its grant, each check-in's answers and scores, flags),
labels in the caseworker's language beside codes for machines, the family members as a CSV
of their own and a second XLSX sheet, formulas made harmless, and the queue's filters."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, update

from bot.app import Runtime
from bot.engine import Kind, Step
from bot.engine.checkins import Checkin
from bot.store import AuditEvent, cases
from bot.store.models import Base
from bot.store.tables import followups, pre_registrations
from bot.web import export
from tests.helpers import Clock, add_account, add_case, browser, sign_in, table_rows, token

CHILD = {"name": "Binta Diallo", "relationship": "child", "date_of_birth": "2019-03-02"}
PATH = ["in_review", "needs_info", "in_review", "accepted", "travel_booked", "departed",
        "returned"]  # fmt: skip


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        yield client


async def download(
    client: httpx.AsyncClient, path: str, language: str = "en", **filters: str
) -> httpx.Response:
    """Press an export button of the queue (filtered by `filters`) in a language."""
    page = await client.get("/")
    if language != "en":
        await client.post(
            "/language", data={"language": language, "csrf_token": token(page), "next": "/"}
        )
    page = await client.get("/", params=filters)
    response = await client.post(path, data={"csrf_token": token(page), **filters})
    assert response.status_code == 200, response.text[:300]
    return response


def table(response: httpx.Response) -> list[dict[str, str]]:
    """A CSV download as one dict per row, by header."""
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert all(len(row) == len(rows[0]) for row in rows), [(len(r), len(rows[0]), r) for r in rows]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def choice_step(bot: Runtime) -> tuple[Checkin, Step]:
    """A check-in and one of its choice questions, whatever the follow-up file asks."""
    for checkin in bot.followups.checkins:
        for step in checkin.flow.steps:
            if step.kind is Kind.CHOICE:
                return checkin, step
    raise AssertionError("no check-in asks a choice")


async def move(bot: Runtime, clock: Clock, reference: str, path: list[str]) -> None:
    """The case moved along `path`, a day between moves, as the dashboard moves it."""
    for status in path:
        clock.advance(days=1)
        async with bot.store.unit() as unit:
            case = await cases.by_reference(unit, reference)
            assert case is not None
            back = clock().date() if status == "returned" else None
            await cases.change_status(unit, case, status, "amina", "", back, clock())


async def returned_with_everything(bot: Runtime, clock: Clock) -> tuple[str, Checkin, Step]:
    """A returned family case of amina's, in a project, with a plan, grant items of every
    status and one check-in answered and scored."""
    await add_account(bot)
    reference = await add_case(
        bot, 1, date_of_birth="1990-06-15", flags=["vulnerable", "family_case"],
        family_count=1, family_members=[CHILD], destination_city="Dakar, Plateau",
    )  # fmt: skip
    await move(bot, clock, reference, PATH)
    tables = Base.metadata.tables
    now = clock()
    checkin, step = choice_step(bot)
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        await unit.connection.execute(
            insert(tables["projects"]).values(
                id=7, name="General return", funders=["EU"], countries=["SN"],
                starts_on=date(2026, 1, 1), capacity=660, grant_cap_cents=50_000,
                member_cap_cents=20_000, currency="USD", created_by="chief", created_at=now,
                updated_at=now,
            )
        )  # fmt: skip
        await unit.connection.execute(
            update(pre_registrations)
            .where(pre_registrations.c.id == case.id)
            .values(project_id=7, assigned_to=1)
        )
        await unit.connection.execute(
            insert(tables["reintegration_plans"]).values(
                pre_registration_id=case.id, kind="family_business", updated_by="amina",
                updated_at=now,
            )
        )  # fmt: skip
        for cents, status in ((10_000, "planned"), (5_000, "approved"), (2_550, "delivered")):
            await unit.connection.execute(
                insert(tables["grant_items"]).values(
                    pre_registration_id=case.id, description="Tools", category="tools",
                    quantity=1, unit_cost_cents=cents, currency="USD", usd_rate="1",
                    amount_usd_cents=cents, status=status, created_by="amina",
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
        await unit.connection.execute(
            insert(followups).values(
                pre_registration_id=case.id, checkin=checkin.id, status="answered",
                planned_for=now, due_at=now, attempts=1, reminders=0, sent_at=now,
                answered_at=now, answers={step.id: step.options[1].value}, flags=[],
                score_economic=0.5, score_social=0.25, score_psychosocial=None,
                score_composite=0.375, updated_at=now,
            )
        )  # fmt: skip
    return reference, checkin, step


async def test_a_case_exports_its_age_status_days_caseworker_project_grant_and_checkins(
    bot: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    reference, checkin, step = await returned_with_everything(bot, clock)
    await sign_in(client)
    (row,) = table(await download(client, "/export.csv"))
    assert row["Reference"] == reference and row["status (code)"] == "returned"
    assert row["Age"] == "36"  # born 15 June 1990, exported on 4 December 2026
    assert row["Date: Received, waiting for review"] == "2026-11-27"
    assert row["Date: Being reviewed"] == "2026-11-28"  # the first time, not the second
    assert row["Date: We need more information"] == "2026-11-29"
    assert row["Date: Returned home"] == "2026-12-04"
    assert row["Date: Not accepted"] == ""
    assert row["Caseworker"] == "amina" and row["Project"] == "General return"
    assert (row["Plan"], row["plan (code)"]) == ("Join a family business", "family_business")
    assert row["Grant planned (USD)"] == "175.50"  # every item
    assert row["Grant approved (USD)"] == "75.50"  # approved and delivered
    assert row["Grant delivered (USD)"] == "25.50"
    assert row["Grant cap (USD)"] == "700.00"  # the project's 500, and 200 for the child
    assert row["Flags"] == "Family, Vulnerable"
    assert row["Flag codes"] == "family_case, vulnerable"
    assert row["City of return"] == "Dakar, Plateau"  # a comma, quoted and read back
    answered = step.options[1]
    assert row[f"{checkin.id}: {step.review_label}"] == answered.label
    assert row[f"{checkin.id}: {step.id} (code)"] == answered.value
    assert row[f"{checkin.id}: Check-in status"] == "Answered"
    assert row[f"{checkin.id}: economic score"] == "0.50"
    assert row[f"{checkin.id}: psychosocial score"] == ""
    assert row[f"{checkin.id}: composite score"] == "0.38"
    other = next(c for c in bot.followups.checkins if c.id != checkin.id)
    assert row[f"{other.id}: Check-in status"] == ""  # the flow's other check-ins: columns
    assert all(f"{c.id}: composite score" in row for c in bot.followups.checkins)


async def test_a_case_without_plan_or_project_has_the_default_cap_and_empty_cells(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    await add_case(bot, 2, date_of_birth="2010")
    await sign_in(client)
    (row,) = table(await download(client, "/export.csv"))
    assert row["Age"] == "16"  # from a year alone: the age reached this year
    assert row["Grant cap (USD)"] == "600.00" and row["Grant planned (USD)"] == ""
    assert row["Caseworker"] == row["Project"] == row["Plan"] == row["Flags"] == ""
    assert row["Date: Received, waiting for review"] == "2026-11-27"


async def test_labels_follow_the_caseworkers_language_and_codes_do_not(
    bot: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    _, checkin, step = await returned_with_everything(bot, clock)
    await sign_in(client)
    (english,) = table(await download(client, "/export.csv"))
    (french,) = table(await download(client, "/export.csv", language="fr"))
    fr = bot.catalogs.translator("fr")
    codes = {name: value for name, value in english.items() if name.endswith("(code)")}
    assert codes == {name: french[name] for name in codes}  # same names, same values
    assert {"sex (code)", "nationality (code)", "status (code)", "plan (code)"} <= set(codes)
    assert french[fr.gettext("Sex")] == fr.gettext("Female") != "Female"
    assert french[fr.gettext("Flag codes")] == "family_case, vulnerable"
    assert french[fr.gettext("Flags")] == ", ".join(
        fr.gettext(label) for label in ("Family", "Vulnerable")
    )
    assert french[fr.gettext("Status")] == fr.gettext("Returned home")
    assert french[f"{checkin.id}: {fr.gettext(step.review_label)}"] == fr.gettext(
        step.options[1].label
    )
    assert french[fr.gettext("Date: {status}", status=fr.gettext("Being reviewed"))] == (
        "2026-11-28"
    )


async def test_family_members_export_as_their_own_csv_and_second_sheet(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    twins = [CHILD, {**CHILD, "name": "=cmd|' /C calc'!A0", "date_of_birth": "2020"}]
    first = await add_case(bot, 3, family_count=2, family_members=twins)
    await add_case(bot, 4)  # alone: no member rows
    await sign_in(client)
    response = await download(client, "/export/members.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "members-" in response.headers["content-disposition"]
    rows = table(response)
    assert [(r["Reference"], r["Member"], r["Name"]) for r in rows] == [
        (first, "1", "Binta Diallo"),
        (first, "2", "'=cmd|' /C calc'!A0"),  # neutralised
    ]
    assert (rows[0]["Relationship"], rows[0]["relationship (code)"]) == ("Child", "child")
    assert rows[0]["Age"] == "7" and rows[1]["Age"] == "6"

    workbook = load_workbook(io.BytesIO((await download(client, "/export.xlsx")).content))
    assert workbook.sheetnames == ["Pre-registrations", "Family members"]
    members = [[c.value for c in row] for row in workbook["Family members"].iter_rows()]
    assert members[0][:3] == ["Reference", "Member", "Name"]
    assert [m[:3] for m in members[1:]] == [
        [first, "1", "Binta Diallo"],
        [first, "2", "=cmd|' /C calc'!A0"],
    ]
    sheet = workbook["Family members"]
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)
    cases_sheet = [[c.value for c in row] for row in workbook["Pre-registrations"].iter_rows()]
    assert len(cases_sheet) == 3 and "Age" in cases_sheet[0]
    exports = [a for a in await table_rows(bot, AuditEvent) if a["action"] == "cases.exported"]
    assert [e["details"]["format"] for e in exports] == ["members.csv", "xlsx"]


async def test_formulas_are_neutralised_and_tricky_text_survives_the_csv(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    tricky = 'He said "yes",\nthen left'
    await add_case(bot, 5, full_name="@SUM(A1)", plan_details=tricky, destination_city="-2+3")
    await sign_in(client)
    (row,) = table(await download(client, "/export.csv"))
    assert row["Full name"] == "'@SUM(A1)" and row["City of return"] == "'-2+3"
    assert row["The idea"] == tricky


async def test_filters_apply_to_every_batch_and_both_exports(
    bot: Runtime, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHUNK", 2)  # batches of two cases: several pages
    await add_account(bot)
    made = {}
    for n, country in enumerate(["SN", "CD", "SN", "SN", "CD", "SN", "SN"], start=10):
        member = {**CHILD, "name": f"Child of {n}"}
        made[n] = await add_case(
            bot, n, nationality=country, flags=["minor"] if n % 2 else [], full_name=f"P {n}",
            family_count=1, family_members=[member],
        )  # fmt: skip
    await sign_in(client)
    rows = table(await download(client, "/export.csv", nationality="SN"))
    senegalese = [made[n] for n in (16, 15, 13, 12, 10)]
    assert [r["Reference"] for r in rows] == senegalese  # newest first
    assert [r["Flag codes"] for r in rows] == ["", "minor", "minor", "", ""]
    members = table(await download(client, "/export/members.csv", nationality="SN"))
    assert [(m["Reference"], m["Name"]) for m in members] == [
        (made[n], f"Child of {n}") for n in (16, 15, 13, 12, 10)
    ]
    everyone = table(await download(client, "/export/members.csv"))
    assert len(everyone) == 7
    exports = [a for a in await table_rows(bot, AuditEvent) if a["action"] == "cases.exported"]
    assert exports[1]["details"] == {"format": "members.csv", "filters": {"nationality": "SN"}}


async def test_the_queue_offers_the_members_export_in_its_form(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    await sign_in(client)
    page = await client.get("/?nationality=SN")
    assert 'formaction="/export/members.csv"' in page.text
    assert (await client.get("/export/members.csv")).status_code == 405
    assert (await client.post("/export/members.csv")).status_code == 403  # no CSRF token


def test_a_csv_cell_is_quoted_as_the_csv_module_would(tmp_path: Any) -> None:
    values = ["plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "=1+1", "", "é"]
    line = ",".join(export.csv_cell(v) for v in values)
    assert next(csv.reader(io.StringIO(line + "\r\n"))) == [
        "plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "'=1+1", "", "é"
    ]  # fmt: skip


async def test_an_answer_of_an_unexpected_shape_is_exported_not_fatal(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot)
    await add_case(bot, 6, sex=["female", "male"], time_in_country={"odd": 1})
    await add_case(bot, 7, full_name="Other Person")
    await sign_in(client)
    rows = table(await download(client, "/export.csv"))
    assert len(rows) == 2 and rows[1]["sex (code)"] == "female,male"
