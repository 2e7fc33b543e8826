"""Funded projects as the services use them, on a real store: places counted in people, the
waiting list and its order, the place a withdrawal frees, the audit, the queue's filters."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, update

from bot.app import Runtime
from bot.casework import Casework, Refused, StatusChange
from bot.projects import ProjectForm, Projects, choices, freed
from bot.status import PERSON_MESSAGES, Status, TransitionRefused
from bot.store import AuditEvent, Person, PreRegistration, cases, people, queue
from bot.store import projects as rows
from bot.store.models import Base
from tests.helpers import Clock, Reach, add_case, counselled, table_rows

FAMILY = [
    {"name": "Moussa Diallo", "relationship": "spouse", "date_of_birth": "1988-03-02"},
    {"name": "Fanta Diallo", "relationship": "child", "date_of_birth": "2019"},
]


@pytest.fixture
def reach() -> Reach:
    return Reach()


@pytest.fixture
def work(bot: Runtime, clock: Clock, reach: Reach) -> Casework:
    return Casework(
        bot.store,
        bot.flow,
        bot.catalogs,
        clock,
        reach.notify,
        reach.ask_again,
        office="OIM Rabat",
        notified=frozenset({"accepted", "waitlisted"}),
        followups=bot.followups,
    )


@pytest.fixture
def service(bot: Runtime, work: Casework, clock: Clock) -> Projects:
    return Projects(bot.store, work, clock)


def terms(**given: Any) -> ProjectForm:
    values: dict[str, Any] = {
        "name": "Pilot Morocco",
        "funders": "Union européenne",
        "countries": "SN, CM",
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2027, 12, 31),
        "capacity": "3",
        "grant_cap": "600",
        **given,
    }
    return ProjectForm(**values)


async def ready(bot: Runtime, telegram_id: int, **answers: Any) -> str:
    """A request in review with its counselling done: ready to be accepted."""
    reference = await add_case(bot, telegram_id, **answers)
    await counselled(bot, reference)
    async with bot.store.unit() as unit:
        await unit.connection.execute(
            update(PreRegistration.__table__)
            .where(PreRegistration.__table__.c.reference == reference)
            .values(status="in_review")
        )
    return reference


async def status_of(bot: Runtime, reference: str) -> str:
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, reference)
    assert found is not None
    return found.status


async def accept(work: Casework, reference: str, project: int | None) -> str:
    changed = await work.change_status(
        reference, StatusChange("accepted", project=project), "amina"
    )
    return changed.status


async def test_a_family_of_three_takes_three_places_and_the_next_person_waits(
    bot: Runtime, service: Projects, work: Casework
) -> None:
    project = await service.create(terms(), "chief")
    family = await ready(bot, 1, family_count=2, family_members=FAMILY)
    single = await ready(bot, 2)
    assert await accept(work, family, project) == "accepted"
    standing = await service.standing(project)
    assert standing is not None and (standing.used, standing.free) == (3, 0)
    assert await accept(work, single, project) == "waitlisted"
    assert await status_of(bot, single) == "waitlisted"
    standing = await service.standing(project)
    assert standing is not None and standing.used == 3
    assert [w.reference for w in standing.waiting] == [single]


async def test_a_project_with_room_takes_a_family_that_fits_exactly(
    bot: Runtime, service: Projects, work: Casework
) -> None:
    project = await service.create(terms(capacity="4"), "chief")
    single = await ready(bot, 1)
    family = await ready(bot, 2, family_count=2, family_members=FAMILY)
    assert await accept(work, single, project) == "accepted"
    assert await accept(work, family, project) == "accepted"  # 1 + 3 = 4 places
    last = await ready(bot, 3)
    assert await accept(work, last, project) == "waitlisted"


async def test_the_waiting_list_keeps_the_order_people_joined_it(
    bot: Runtime, service: Projects, work: Casework, clock: Clock
) -> None:
    project = await service.create(terms(capacity="1"), "chief")
    first = await ready(bot, 1)
    assert await accept(work, first, project) == "accepted"
    waiting = []
    for telegram_id in (4, 2, 3):  # joined in this order, whatever their references
        reference = await ready(bot, telegram_id)
        clock.advance(hours=1)
        assert await accept(work, reference, project) == "waitlisted"
        waiting.append(reference)
    standing = await service.standing(project)
    assert standing is not None
    assert [w.reference for w in standing.waiting] == waiting
    assert standing.next is not None and standing.next.reference == waiting[0]
    assert not standing.room_for_next


async def test_the_person_is_told_in_their_language_that_they_wait_with_no_date(
    bot: Runtime, service: Projects, work: Casework, reach: Reach
) -> None:
    project = await service.create(terms(capacity="1"), "chief")
    await accept(work, await ready(bot, 1), project)
    french = await ready(bot, 2)
    english = await ready(bot, 3)
    async with bot.store.unit() as unit:
        await unit.connection.execute(
            update(Person.__table__)
            .where(Person.__table__.c.telegram_id == 3)
            .values(language="en")
        )
    await accept(work, french, project)
    await accept(work, english, project)
    fr, en = bot.catalogs.translator("fr"), bot.catalogs.translator("en")
    message = PERSON_MESSAGES[Status.WAITLISTED]
    assert reach.sent[-2:] == [
        (2, fr.gettext(message, reference=french)),
        (3, en.gettext(message, reference=english)),
    ]
    assert "liste d'attente" in reach.sent[-2][1] and "waiting list" in reach.sent[-1][1]
    assert "date" in reach.sent[-1][1]  # "We cannot give you a date."


async def test_a_freed_place_shows_the_next_case_who_moves_in_and_is_told(
    bot: Runtime, service: Projects, work: Casework, reach: Reach
) -> None:
    project = await service.create(terms(capacity="1"), "chief")
    holder = await ready(bot, 1)
    waiting = await ready(bot, 2)
    await accept(work, holder, project)
    await accept(work, waiting, project)
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, holder)
        assert case is not None and await freed(unit, case) is None  # still holds its place
    with pytest.raises(TransitionRefused):  # no room yet
        await service.admit(project, waiting, "chief")
    await work.change_status(holder, StatusChange("withdrawn", note="Stays"), "amina")
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, holder)
        assert case is not None
        place = await freed(unit, case)
    assert place is not None and place.next is not None and place.room_for_next
    assert place.next.reference == waiting
    await service.admit(project, waiting, "chief")
    assert await status_of(bot, waiting) == "accepted"
    fr = bot.catalogs.translator("fr")
    assert reach.sent[-1] == (2, fr.gettext(PERSON_MESSAGES[Status.ACCEPTED], reference=waiting))
    standing = await service.standing(project)
    assert standing is not None and (standing.used, standing.waiting) == (1, [])
    with pytest.raises(Refused):  # no longer waiting
        await service.admit(project, waiting, "chief")


async def test_a_rejected_case_frees_its_place_and_a_waiting_one_may_be_rejected(
    bot: Runtime, service: Projects, work: Casework
) -> None:
    project = await service.create(terms(capacity="1"), "chief")
    holder, waiting, later = await ready(bot, 1), await ready(bot, 2), await ready(bot, 3)
    await accept(work, holder, project)
    await accept(work, waiting, project)
    await accept(work, later, project)
    change = StatusChange("withdrawn", note="Changed their mind")
    await work.change_status(waiting, change, "amina")  # leaves the list
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, waiting)
        assert case is not None and await freed(unit, case) is None  # it held no place
    standing = await service.standing(project)
    assert standing is not None and standing.used == 1
    assert [w.reference for w in standing.waiting] == [later]


async def test_a_returned_case_keeps_its_place_once_closed(
    bot: Runtime, service: Projects, work: Casework
) -> None:
    project = await service.create(terms(capacity="1"), "chief")
    holder = await ready(bot, 1)
    await accept(work, holder, project)
    for step in ("travel_booked", "departed"):
        async with bot.store.unit() as unit:
            found = await cases.by_reference(unit, holder)
            assert found is not None
            await cases.change_status(unit, found, step, "setup", "", None, bot.service.clock())
    back = StatusChange("returned", return_date=date(2026, 11, 20))
    await work.change_status(holder, back, "amina")
    await work.change_status(holder, StatusChange("closed"), "amina")
    standing = await service.standing(project)
    assert standing is not None and standing.used == 1


async def test_an_erased_returnee_keeps_their_place_and_spent_grant(
    bot: Runtime, service: Projects, work: Casework
) -> None:
    project = await service.create(terms(capacity="1"), "chief")
    holder, waiting = await ready(bot, 1), await ready(bot, 2)
    await accept(work, holder, project)
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, holder)
        assert found is not None
        for step in ("travel_booked", "departed"):
            found = await cases.by_reference(unit, holder)
            assert found is not None
            await cases.change_status(unit, found, step, "setup", "", None, bot.service.clock())
    await work.change_status(holder, StatusChange("returned", return_date=date(2026, 11, 20)),
                             "amina")  # fmt: skip
    await work.change_status(holder, StatusChange("closed"), "amina")
    async with bot.store.unit() as unit:
        await unit.connection.execute(
            insert(Base.metadata.tables["grant_items"]).values(
                pre_registration_id=found.id, description="Tools", category="tools",
                vendor="", quantity=1, unit_cost_cents=50_000, currency="USD", usd_rate="1",
                amount_usd_cents=50_000, status="delivered", created_by="amina",
                created_at=bot.service.clock(), updated_at=bot.service.clock(),
            )
        )  # fmt: skip
        unit.touch(found.id)
    assert await accept(work, waiting, project) == "waitlisted"
    person = next(r["person_id"] for r in await table_rows(bot, PreRegistration)
                  if r["reference"] == holder)  # fmt: skip
    async with bot.store.unit() as unit:
        await people.erase(unit, person)  # /delete, or the retention purge
    standing = await service.standing(project)
    assert standing is not None
    assert (standing.used, standing.free, standing.grants_cents) == (1, 0, 50_000)
    with pytest.raises(TransitionRefused):  # the project helped them: no room was freed
        await service.admit(project, waiting, "chief")


async def test_the_waiting_list_is_left_from_the_projects_page_first_come_first(
    bot: Runtime, service: Projects, work: Casework
) -> None:
    project = await service.create(terms(capacity="1"), "chief")
    holder, first, second = await ready(bot, 1), await ready(bot, 2), await ready(bot, 3)
    await accept(work, holder, project)
    assert await accept(work, first, project) == "waitlisted"
    assert await accept(work, second, project) == "waitlisted"
    await work.change_status(holder, StatusChange("withdrawn", note="Stays"), "amina")
    with pytest.raises(TransitionRefused) as refused:  # not from the case's status form
        await accept(work, first, project)
    assert refused.value.field == "status"
    with pytest.raises(TransitionRefused):  # not ahead of the case that waited longer
        await service.admit(project, second, "chief")
    newcomer = await ready(bot, 4)
    assert await accept(work, newcomer, project) == "waitlisted"  # behind them, not before
    await service.admit(project, first, "chief")
    assert await status_of(bot, first) == "accepted"


async def test_the_projects_that_fit_a_case_by_country_of_return_and_dates(
    bot: Runtime, service: Projects, clock: Clock, work: Casework
) -> None:
    senegal = await service.create(terms(), "chief")
    await service.create(terms(name="Mali only", countries="ML"), "chief")
    await service.create(
        terms(name="Over", ends_on=date(2026, 6, 30), starts_on=date(2026, 1, 1)), "chief"
    )
    going_home = await ready(bot, 1)  # Senegalese, no destination: Senegal
    to_mali = await ready(bot, 2, destination_country="ML")
    async with bot.store.unit() as unit:
        one = await cases.by_reference(unit, going_home)
        two = await cases.by_reference(unit, to_mali)
        assert one is not None and two is not None
        offered, chosen = await choices(unit, one, clock().date())
        assert chosen == senegal and offered[0].id == senegal
        offered, chosen = await choices(unit, two, clock().date())
        assert offered[0].name == "Mali only" and chosen == offered[0].id
    with pytest.raises(TransitionRefused) as refused:  # a project fits: one must be chosen
        await accept(work, going_home, None)
    assert refused.value.field == "project"


async def test_a_case_no_project_fits_is_accepted_without_one(
    bot: Runtime, service: Projects, work: Casework
) -> None:
    await service.create(terms(countries="ML"), "chief")
    reference = await ready(bot, 1)
    assert await accept(work, reference, None) == "accepted"


async def test_every_change_of_a_project_and_of_its_cases_is_audited(
    bot: Runtime, service: Projects, work: Casework
) -> None:
    project = await service.create(terms(capacity="1"), "chief")
    assert await service.edit(project, terms(capacity="1"), "chief") == []
    changed = await service.edit(project, terms(capacity="2", funders="EU\nItaly"), "chief")
    assert changed == ["funders", "capacity"]
    first, second, third = await ready(bot, 1), await ready(bot, 2), await ready(bot, 3)
    for reference in (first, second, third):
        await accept(work, reference, project)
    rows_ = [dict(r) for r in await table_rows(bot, AuditEvent)]
    ours = [(r["action"], r["actor"], r["details"]) for r in rows_
            if r["action"].startswith("project.")]  # fmt: skip
    assert ours[:2] == [
        ("project.created", "chief", {"project_id": project}),
        ("project.changed", "chief", {"project_id": project, "fields": ["funders", "capacity"]}),
    ]
    assert [a for a, _, _ in ours[2:]] == ["project.joined", "project.joined", "project.waitlisted"]
    assert all(r["pre_registration_id"] for r in rows_ if r["action"] == "project.joined")


async def test_a_project_form_is_refused_with_the_field_at_fault(service: Projects) -> None:
    cases_ = [
        (terms(name=" "), "name"),
        (terms(funders=" , "), "funders"),
        (terms(countries="Senegal"), "countries"),
        (terms(starts_on=None), "starts_on"),
        (terms(ends_on=date(2025, 1, 1)), "ends_on"),
        (terms(capacity="0"), "capacity"),
        (terms(grant_cap="six hundred"), "grant_cap"),
        (terms(grant_cap="600.505"), "grant_cap"),
        (terms(member_cap="-1"), "member_cap"),
    ]
    for form, field in cases_:
        with pytest.raises(Refused) as refused:
            await service.create(form, "chief")
        assert refused.value.field == field, form
    project = await service.create(terms(grant_cap="600,50", member_cap="150"), "chief")
    with pytest.raises(Refused) as refused:
        await service.create(terms(name="pilot MOROCCO"), "chief")
    assert refused.value.field == "name"
    standing = await service.standing(project)
    assert standing is not None
    assert (standing.project.grant_cap_cents, standing.project.member_cap_cents) == (60050, 15000)
    assert standing.project.countries == ("SN", "CM")


async def test_the_grant_budget_counts_approved_and_delivered_items_of_its_cases(
    bot: Runtime, service: Projects, work: Casework, clock: Clock
) -> None:
    project = await service.create(terms(), "chief")
    reference = await ready(bot, 1)
    await accept(work, reference, project)
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, reference)
        assert found is not None
        for status, cents in (("planned", 10000), ("approved", 25000), ("delivered", 5050)):
            await unit.connection.execute(
                insert(rows.grant_items).values(
                    pre_registration_id=found.id, description="Sewing machine",
                    category="equipment", quantity=1, unit_cost_cents=cents, currency="USD",
                    usd_rate="1", amount_usd_cents=cents, status=status, created_by="amina",
                    created_at=clock(), updated_at=clock(),
                )
            )  # fmt: skip
    standing = await service.standing(project)
    assert standing is not None
    assert (standing.grants_cents, standing.project.budget_cents) == (30050, 3 * 60000)


async def test_joining_a_project_touches_the_case_for_its_statistics(
    bot: Runtime, service: Projects, clock: Clock
) -> None:
    project = await service.create(terms(), "chief")
    reference = await ready(bot, 1)
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, reference)
        assert found is not None
        await rows.join(unit, found.id, project, True, "amina", clock())
        assert unit.touched == {found.id}


async def test_the_queue_filters_by_project_and_by_funder(
    bot: Runtime, service: Projects, work: Casework
) -> None:
    pilot = await service.create(terms(funders="Union européenne\nItalie"), "chief")
    general = await service.create(terms(name="General", funders="Italie, Allemagne"), "chief")
    other = await service.create(terms(name="Swiss", funders="Suisse"), "chief")
    one, two, three, four = [await ready(bot, n) for n in (1, 2, 3, 4)]
    await accept(work, one, pilot)
    await accept(work, two, general)
    await accept(work, three, other)

    async def references(f: queue.CaseFilter) -> set[str]:
        async with bot.store.unit() as unit:
            return {row.reference for row in (await queue.page(unit, f)).rows}

    assert await references(queue.CaseFilter(project=pilot)) == {one}
    assert await references(queue.CaseFilter(funder="Italie")) == {one, two}
    assert await references(queue.CaseFilter(funder="Union européenne")) == {one}
    assert await references(queue.CaseFilter(funder="Union")) == set()  # a whole name only
    assert await references(queue.CaseFilter(funder="Suisse", project=general)) == set()
    assert four in await references(queue.CaseFilter())
    async with bot.store.unit() as unit:
        assert await rows.funders(unit) == ["Allemagne", "Italie", "Suisse", "Union européenne"]
