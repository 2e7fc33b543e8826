"""Funded projects in the dashboard, over HTTP (the real ASGI app, a real database) and the
person's side over the real PTB pipeline: supervisors keep projects, accepting asks which
project, a full one puts the person on its waiting list, a freed place lets the next in."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import update

from bot.app import Runtime
from bot.status import NEXT_STEPS, PERSON_MESSAGES, Status
from bot.store import AuditEvent, Person, PreRegistration
from tests.helpers import (
    Phone,
    add_account,
    add_case,
    browser,
    counselled,
    sign_in,
    table_rows,
    token,
)

FAMILY = [
    {"name": "Moussa Diallo", "relationship": "spouse", "date_of_birth": "1988-03-02"},
    {"name": "Fanta Diallo", "relationship": "child", "date_of_birth": "2019"},
]
PILOT = {
    "name": "Pilot Morocco",
    "funders": "Union européenne\nItalie",
    "countries": "SN, CM",
    "starts_on": "2026-01-01",
    "ends_on": "2027-12-31",
    "capacity": "3",
    "grant_cap": "600",
    "member_cap": "",
}


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        yield client


async def as_user(client: httpx.AsyncClient, name: str) -> None:
    page = await client.get("/projects")
    if page.status_code == 200:
        await client.post("/logout", data={"csrf_token": token(page)})
    await sign_in(client, name)


async def new_project(client: httpx.AsyncClient, **given: str) -> int:
    page = await client.get("/projects/new")
    response = await client.post("/projects", data={"csrf_token": token(page), **PILOT, **given})
    assert response.status_code == 303, response.text[:2000]
    found = re.match(r"/projects/(\d+)\?saved=created", response.headers["location"])
    assert found
    return int(found.group(1))


async def ready(bot: Runtime, telegram_id: int, language: str = "fr", **answers: object) -> str:
    """A request in review, counselled, from a person who reads `language`."""
    reference = await add_case(bot, telegram_id, **answers)
    await counselled(bot, reference)
    async with bot.store.unit() as unit:
        cases = PreRegistration.__table__
        await unit.connection.execute(
            update(cases).where(cases.c.reference == reference).values(status="in_review")
        )
        people = Person.__table__
        await unit.connection.execute(
            update(people).where(people.c.telegram_id == telegram_id).values(language=language)
        )
    return reference


async def post(client: httpx.AsyncClient, reference: str, **data: str) -> httpx.Response:
    page = await client.get(f"/cases/{reference}")
    return await client.post(f"/cases/{reference}/status", data={"csrf_token": token(page), **data})


async def status_of(bot: Runtime, reference: str) -> str:
    rows = await table_rows(bot, PreRegistration)
    return str(next(r["status"] for r in rows if r["reference"] == reference))


async def test_a_supervisor_creates_and_edits_a_project_and_everyone_reads_it(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await add_account(bot, "amina", "caseworker")
    await add_account(bot, "watcher", "monitoring")
    await sign_in(client, "chief")
    project = await new_project(client)
    page = await client.get(f"/projects/{project}?saved=created")
    assert "The project was created." in page.text and "Pilot Morocco" in page.text
    assert "0 of 3" in page.text and "Senegal" in page.text and "Cameroon" in page.text
    assert 'href="/projects"' in page.text  # the menu's link
    edit = {**PILOT, "capacity": "5", "csrf_token": token(page)}
    response = await client.post(f"/projects/{project}", data=edit)
    assert response.status_code == 303
    listing = await client.get("/projects")
    assert "0 of 5" in listing.text and "0.00 of 3,000.00" in listing.text
    actions = [(r["actor"], r["action"]) for r in await table_rows(bot, AuditEvent)]
    assert ("chief", "project.created") in actions and ("chief", "project.changed") in actions
    for reader in ("amina", "watcher"):
        await as_user(client, reader)
        assert "Pilot Morocco" in (await client.get("/projects")).text
        page = await client.get(f"/projects/{project}")
        assert page.status_code == 200 and 'action="/projects' not in page.text
        assert (await client.get("/projects/new")).status_code == 403


async def test_a_caseworker_cannot_create_or_change_a_project(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await add_account(bot, "amina", "caseworker")
    await sign_in(client, "chief")
    project = await new_project(client)
    await as_user(client, "amina")
    page = await client.get("/projects")
    assert "/projects/new" not in page.text
    created = await client.post("/projects", data={"csrf_token": token(page), **PILOT,
                                                  "name": "Mine"})  # fmt: skip
    changed = await client.post(f"/projects/{project}",
                                data={"csrf_token": token(page), **PILOT, "capacity": "99"})  # fmt: skip
    assert (created.status_code, changed.status_code) == (403, 403)
    assert "Mine" not in (await client.get("/projects")).text
    assert "0 of 3" in (await client.get(f"/projects/{project}")).text


async def test_a_refused_project_form_says_why_by_its_field_and_keeps_what_was_typed(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    page = await client.get("/projects/new")
    data = {"csrf_token": token(page), **PILOT, "countries": "Senegal"}
    response = await client.post("/projects", data=data)
    assert response.status_code == 400
    assert "two-letter ISO codes" in response.text
    assert 'aria-describedby="project-countries-error"' in response.text
    assert 'value="Pilot Morocco"' in response.text and 'value="Senegal"' in response.text
    assert "No project yet." in (await client.get("/projects")).text
    assert (await client.get("/projects/99")).status_code == 404


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_accepting_into_a_full_project_puts_the_person_on_its_waiting_list(
    bot: Runtime, client: httpx.AsyncClient, phone_factory: object, language: str
) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    project = await new_project(client)
    family = await ready(bot, 8101, family_count=2, family_members=FAMILY)
    single = await ready(bot, 8102, language)
    phone: Phone = phone_factory(user_id=8102, language=language)  # type: ignore[operator]
    page = await client.get(f"/cases/{family}")
    assert f'<option value="{project}" selected>' in page.text  # the one project that fits
    assert (await post(client, family, status="accepted", project=str(project))).status_code == 303
    assert "3 of 3" in (await client.get("/projects")).text  # a family of three: three places
    response = await post(client, single, status="accepted", project=str(project))
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{single}?saved=waitlisted"
    assert await status_of(bot, single) == "waitlisted"
    tr = bot.catalogs.translator(language)
    assert phone.last.text == tr.gettext(PERSON_MESSAGES[Status.WAITLISTED], reference=single)
    words = {"fr": "liste d'attente", "en": "waiting list"}[language]
    assert words in phone.last.text
    answer = await phone.say("/status")
    assert tr.gettext(NEXT_STEPS[Status.WAITLISTED]) in answer.text and words in answer.text
    page = await client.get(f"/cases/{single}?saved=waitlisted")
    assert "The project is full: the case is on its waiting list." in page.text
    assert "On the waiting list" in page.text


async def test_accepting_asks_for_the_project_when_one_fits(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    await new_project(client)
    await new_project(client, name="General", funders="Suisse")
    reference = await ready(bot, 8201)
    page = await client.get(f"/cases/{reference}")
    assert " selected>Pilot" not in page.text and " selected>General" not in page.text
    response = await post(client, reference, status="accepted", note="Ready", notify="no")
    assert response.status_code == 400
    assert "Choose the project the case joins." in response.text
    assert 'aria-describedby="status-project-error"' in response.text
    assert await status_of(bot, reference) == "in_review"


async def test_a_freed_place_shows_the_next_person_who_moves_in_and_is_told(
    bot: Runtime, client: httpx.AsyncClient, phone_factory: object
) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    project = await new_project(client, capacity="1")
    holder = await ready(bot, 8301)
    first, second = await ready(bot, 8302, "en"), await ready(bot, 8303)
    phone: Phone = phone_factory(user_id=8302, language="en")  # type: ignore[operator]
    for reference in (holder, first, second):
        await post(client, reference, status="accepted", project=str(project))
    assert [await status_of(bot, r) for r in (holder, first, second)] == [
        "accepted", "waitlisted", "waitlisted",
    ]  # fmt: skip
    page = await client.get(f"/projects/{project}")
    assert page.text.index(first) < page.text.index(second)
    assert "No room yet for all its people." in page.text
    assert "Move into the project" not in page.text
    await post(client, holder, status="withdrawn", note="Not travelling")
    notice = await client.get(f"/cases/{holder}")
    assert "This case freed its place in the project Pilot Morocco." in notice.text
    assert f"Next on the waiting list: {first}" in notice.text
    assert "Move into the project" in notice.text
    listing = await client.get("/projects")
    assert f"A place is free for {first}" in listing.text
    response = await client.post(
        f"/projects/{project}/admit", data={"csrf_token": token(notice), "reference": first}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/projects/{project}?saved=admitted"
    assert await status_of(bot, first) == "accepted"
    en = bot.catalogs.translator("en")
    assert phone.last.text == en.gettext(PERSON_MESSAGES[Status.ACCEPTED], reference=first)
    page = await client.get(f"/projects/{project}")
    assert "1 of 1" in page.text and second in page.text
    again = await client.post(
        f"/projects/{project}/admit", data={"csrf_token": token(page), "reference": second}
    )
    assert again.status_code == 400
    assert "The project has no room yet for all the people of this case." in again.text
    assert await status_of(bot, second) == "waitlisted"
    actions = [(r["actor"], r["action"]) for r in await table_rows(bot, AuditEvent)]
    assert ("chief", "project.joined") in actions and ("chief", "project.waitlisted") in actions


async def test_the_queue_and_its_export_filter_by_project_and_by_funder(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    pilot = await new_project(client)
    general = await new_project(client, name="General", funders="Suisse\nItalie")
    one, two, three = await ready(bot, 8401), await ready(bot, 8402), await ready(bot, 8403)
    await post(client, one, status="accepted", project=str(pilot))
    await post(client, two, status="accepted", project=str(general))
    queue = await client.get(f"/?project={pilot}")
    assert one in queue.text and two not in queue.text and three not in queue.text
    assert f'<option value="{pilot}" selected>' in queue.text
    queue = await client.get("/", params={"funder": "Italie"})
    assert one in queue.text and two in queue.text and three not in queue.text
    queue = await client.get("/", params={"funder": "Union européenne"})
    assert one in queue.text and two not in queue.text
    assert escape("Union européenne") in queue.text
    data = {"csrf_token": token(queue), "funder": "Suisse"}
    export = await client.post("/export.csv", data=data)
    lines = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert [line[0] for line in lines[1:]] == [two]


async def test_the_projects_pages_read_in_french(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    project = await new_project(client)
    page = await client.get("/projects")
    await client.post("/language", data={"csrf_token": token(page), "language": "fr"})
    listing = await client.get("/projects")
    assert "Projets" in listing.text and "Places occupées" in listing.text
    assert "0 sur 3" in listing.text
    page = await client.get(f"/projects/{project}")
    assert "Liste d&#39;attente" in page.text and "Personne n&#39;attend." in page.text


async def test_an_id_too_long_for_any_row_is_not_found(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    for path in (
        "/projects/99999999999999999999",
        "/cases/AVR-1/grants/99999999999999999999/remove",
    ):
        assert (await client.get(path)).status_code == 404
