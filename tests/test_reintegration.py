"""The reintegration plan and the grant's ledger: exact amounts in USD, the cap from the
case's project or the settings, a supervisor's override, the audit, and the person told."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, update

from bot.app import Runtime
from bot.message_templates import MessageTemplates
from bot.pricing import GrantRefused, ItemForm, costing, usd_cents
from bot.reintegration import PlanForm, Reintegration
from bot.store import cases, grants, members
from bot.store.models import AuditEvent, CaseNote, OutboxMessage, PreRegistration
from bot.store.reintegration_models import GrantItem, Project
from tests.helpers import Clock, Reach, table_rows
from tests.travel_helpers import accepted_case, casework

MOTORBIKE = ItemForm(
    description="Moto-taxi",
    category="transport",
    vendor="Garage Ndiaye",
    quantity="1",
    unit_cost="250000",
    currency="XOF",
    usd_rate="0.0016",
)  # 400.00 USD


def ledger_of(bot: Runtime, clock: Clock, **caps: Any) -> Reintegration:
    """The service as the dashboard has it, without sending: the outbox keeps the message."""
    templates = MessageTemplates(bot.store, bot.catalogs, casework(bot, clock, Reach()))
    return Reintegration(
        bot.store, bot.catalogs, clock, templates=templates, office="OIM Rabat", **caps
    )


def item(usd: str, description: str = "Stock") -> ItemForm:
    return ItemForm(description, "stock", "", "1", usd, "USD", "")


async def with_family(bot: Runtime, case_id: int, count: int) -> None:
    answers = {members.GROUP: [{"name": f"Child {n}"} for n in range(count)]}
    async with bot.store.unit() as unit:
        await members.from_answers(unit, case_id, answers, bot.service.clock())


async def in_project(bot: Runtime, case_id: int, cap: int, member_cap: int | None) -> None:
    now = bot.service.clock()
    async with bot.store.unit() as unit:
        made = await unit.connection.execute(
            insert(Project.__table__)
            .values(name="Pilot Senegal", funders=["Fund"], countries=["SN"],
                    starts_on=date(2026, 1, 1), ends_on=None, capacity=150,
                    grant_cap_cents=cap, member_cap_cents=member_cap, currency="USD",
                    created_by="chief", created_at=now, updated_at=now)
            .returning(Project.__table__.c.id)
        )  # fmt: skip
        await unit.connection.execute(
            update(PreRegistration.__table__)
            .where(PreRegistration.__table__.c.id == case_id)
            .values(project_id=made.scalar_one())
        )


async def cap_of(service: Reintegration, bot: Runtime, case_id: int) -> int:
    async with bot.store.unit() as unit:
        return (await service.cap(unit, case_id)).cents


async def test_usd_amounts_are_exact_and_rounded_half_up() -> None:
    assert usd_cents(1, 1005, Decimal("0.5")) == 503  # 502.5: half up, not to even
    assert usd_cents(3, 12345, Decimal("0.1")) == 3704  # 3703.5
    assert usd_cents(7, 33, Decimal("0.3")) == 69  # 69.3; in floats 0.1 + 0.2 != 0.3
    priced = costing(ItemForm("Sewing machine", "equipment", "", "2", "1 250,50", "mad", "0.1"))
    assert (priced.unit_cost_cents, priced.currency, priced.usd_rate) == (125050, "MAD", "0.1")
    assert priced.amount_usd_cents == 25010  # 2 x 1250.50 MAD x 0.1
    assert costing(MOTORBIKE).amount_usd_cents == 40000
    assert costing(item("12.5")).usd_rate == "1"  # USD needs no rate
    with pytest.raises(GrantRefused) as refused:
        costing(ItemForm("Goat", "livestock", "", "1", "50", "USD", "1.1"))
    assert refused.value.field == "usd_rate"
    for wrong, field in [
        (ItemForm("Goat", "pets", "", "1", "5", "USD", ""), "category"),
        (ItemForm("Goat", "livestock", "", "0", "5", "USD", ""), "quantity"),
        (ItemForm("Goat", "livestock", "", "1", "5.001", "USD", ""), "unit_cost"),
        (ItemForm("Goat", "livestock", "", "1", "5", "FCFA", "0.0016"), "currency"),
        (ItemForm("Goat", "livestock", "", "1", "5", "XOF", "-1"), "usd_rate"),
    ]:
        with pytest.raises(GrantRefused) as refused:
            costing(wrong)
        assert refused.value.field == field


async def test_the_cap_comes_from_the_settings_without_a_project(
    bot: Runtime, clock: Clock
) -> None:
    case = await accepted_case(bot, clock, 9101)
    service = ledger_of(bot, clock)
    assert await cap_of(service, bot, case.id) == 60000
    await with_family(bot, case.id, 2)
    assert await cap_of(service, bot, case.id) == 60000  # no member cap set
    family = ledger_of(bot, clock, cap_usd=Decimal(500), member_cap_usd=Decimal("150.50"))
    assert await cap_of(family, bot, case.id) == 50000 + 2 * 15050


async def test_the_cap_comes_from_the_project_with_its_member_cap(
    bot: Runtime, clock: Clock
) -> None:
    case = await accepted_case(bot, clock, 9102)
    service = ledger_of(bot, clock, member_cap_usd=Decimal(999))
    await in_project(bot, case.id, 50000, None)
    await with_family(bot, case.id, 3)
    assert await cap_of(service, bot, case.id) == 50000  # the project's, not the settings'
    async with bot.store.unit() as unit:
        await unit.connection.execute(update(Project.__table__).values(member_cap_cents=10000))
    assert await cap_of(service, bot, case.id) == 80000


async def test_an_approval_over_the_cap_is_refused_with_the_total_and_the_cap(
    bot: Runtime, clock: Clock
) -> None:
    case = await accepted_case(bot, clock, 9103)
    service = ledger_of(bot, clock)
    first = await service.add_item(case.reference, MOTORBIKE, "amina")
    second = await service.add_item(case.reference, item("250.01"), "amina")
    await service.approve(case.reference, first, "amina", "caseworker")
    with pytest.raises(GrantRefused) as refused:
        await service.approve(case.reference, second, "amina", "caseworker")
    english = refused.value.text(bot.catalogs.translator("en"))
    assert english == (
        "Approving this item would bring the approved and delivered items to 650.01\u00a0USD, "
        "over the grant's cap of 600.00\u00a0USD."
    )
    french = refused.value.text(bot.catalogs.translator("fr"))
    assert "à 650,01\u00a0USD, au-delà du plafond de l'aide de 600,00\u00a0USD" in french
    [_, waiting] = await table_rows(bot, GrantItem)
    assert waiting["status"] == "planned" and waiting["approved_by"] is None
    # A caseworker cannot override, even with a note.
    with pytest.raises(GrantRefused) as refused:
        await service.approve(
            case.reference, second, "amina", "caseworker", override=True, note="Needed"
        )
    assert refused.value.reason.startswith("Only a supervisor may approve")
    assert (await table_rows(bot, GrantItem))[1]["status"] == "planned"


async def test_a_supervisor_overrides_the_cap_with_a_note_kept_and_audited(
    bot: Runtime, clock: Clock
) -> None:
    case = await accepted_case(bot, clock, 9104)
    service = ledger_of(bot, clock)
    over = await service.add_item(case.reference, item("612.50"), "amina")
    with pytest.raises(GrantRefused) as refused:
        await service.approve(case.reference, over, "chief", "supervisor", override=True)
    assert refused.value.field == "note"
    await service.approve(
        case.reference, over, "chief", "supervisor", override=True, note="Price rose in Thiès"
    )
    [row] = await table_rows(bot, GrantItem)
    assert row["status"] == "approved" and row["approved_by"] == "chief"
    assert row["override_note"] == "Price rose in Thiès"
    assert [n["body"] for n in await table_rows(bot, CaseNote)] == ["Price rose in Thiès"]
    [event] = [e for e in await table_rows(bot, AuditEvent) if e["action"] == "grant.item_approved"]
    assert event["actor"] == "chief"
    assert event["details"] == {
        "item": over, "amount_usd_cents": 61250, "committed_usd_cents": 61250,
        "cap_usd_cents": 60000, "over_cap": True,
    }  # fmt: skip


async def test_every_change_of_the_ledger_is_audited_with_its_amounts(
    bot: Runtime, clock: Clock
) -> None:
    case = await accepted_case(bot, clock, 9105)
    service = ledger_of(bot, clock)
    kept = await service.add_item(case.reference, MOTORBIKE, "amina")
    dropped = await service.add_item(case.reference, item("20"), "amina")
    cheaper = ItemForm(**{**MOTORBIKE.__dict__, "unit_cost": "200000"})
    await service.change_item(case.reference, kept, cheaper, "amina")
    await service.remove_item(case.reference, dropped, "amina")
    await service.approve(case.reference, kept, "amina", "caseworker")
    with pytest.raises(GrantRefused):  # approved: no longer changed or removed
        await service.change_item(case.reference, kept, MOTORBIKE, "amina")
    with pytest.raises(GrantRefused):
        await service.remove_item(case.reference, kept, "amina")
    await service.deliver(case.reference, kept, "2026-11-26", "Receipt 0042", "amina")
    events = {
        e["action"]: e for e in await table_rows(bot, AuditEvent) if e["action"].startswith("grant")
    }
    assert list(events) == ["grant.item_added", "grant.item_changed", "grant.item_removed",
                            "grant.item_approved", "grant.item_delivered"]  # fmt: skip
    changed = events["grant.item_changed"]["details"]
    assert changed["fields"] == ["unit_cost_cents", "amount_usd_cents"]
    assert (changed["amount_before_cents"], changed["amount_usd_cents"]) == (40000, 32000)
    removed = events["grant.item_removed"]["details"]
    assert (removed["item"], removed["amount_usd_cents"], removed["currency"]) == (
        dropped,
        2000,
        "USD",
    )
    delivered = events["grant.item_delivered"]["details"]
    assert delivered == {"item": kept, "amount_usd_cents": 32000, "delivered_on": "2026-11-26"}
    assert all(e["actor"] == "amina" for e in events.values())
    assert "Moto-taxi" not in str([e["details"] for e in events.values()])  # no descriptions
    [row] = await table_rows(bot, GrantItem)
    assert (row["status"], row["delivered_on"], row["proof"]) == (
        "delivered",
        date(2026, 11, 26),
        "Receipt 0042",
    )
    async with bot.store.unit() as unit:
        assert await grants.totals(unit, case.id) == {
            "planned": 0, "approved": 0, "delivered": 32000
        }  # fmt: skip


@pytest.mark.parametrize(
    ("language", "agreed", "delivered"),
    [
        ("fr", "Votre plan de réintégration a été convenu le 27 novembre 2026",
         "Une partie de votre aide à la réintégration vous a été remise le 26 novembre 2026"),
        ("en", "Your reintegration plan was agreed on November 27, 2026",
         "Part of your reintegration support was handed over to you on November 26, 2026"),
    ],
)  # fmt: skip
async def test_the_person_is_told_when_the_plan_is_agreed_and_an_item_delivered(
    bot: Runtime, clock: Clock, language: str, agreed: str, delivered: str
) -> None:
    case = await accepted_case(bot, clock, 9106, language)
    service = ledger_of(bot, clock)
    plan = PlanForm("business", "A shoe shop with his brother", "OIM Dakar", "")
    await service.save_plan(case.reference, plan, "amina")
    assert await table_rows(bot, OutboxMessage) == []  # not agreed yet: nothing said
    await service.save_plan(
        case.reference, PlanForm(**{**plan.__dict__, "agreed_on": "2026-11-27"}), "amina"
    )
    await service.save_plan(
        case.reference,
        PlanForm(**{**plan.__dict__, "agreed_on": "2026-11-27", "partner": "ANPEJ"}),
        "amina",
    )  # agreed already: not said twice
    [told] = await table_rows(bot, OutboxMessage)
    assert told["chat_id"] == 9106 and agreed in told["text"] and case.reference in told["text"]
    assert told["text"].startswith("Message de l'équipe" if language == "fr" else "Message from")
    bought = await service.add_item(case.reference, MOTORBIKE, "amina")
    await service.approve(case.reference, bought, "amina", "caseworker")
    assert len(await table_rows(bot, OutboxMessage)) == 1  # approving tells nobody
    await service.deliver(case.reference, bought, "2026-11-26", "Photo 17", "amina")
    [_, handed] = await table_rows(bot, OutboxMessage)
    assert delivered in handed["text"]
    queued = [e for e in await table_rows(bot, AuditEvent) if e["action"] == "case.message_queued"]
    assert [e["details"]["template"] for e in queued] == ["plan_agreed", "grant_delivered"]
    saved = [
        e for e in await table_rows(bot, AuditEvent) if e["action"] == "reintegration.plan_saved"
    ]
    assert [e["details"]["fields"] for e in saved] == [
        ["kind", "description", "partner", "agreed_on"], ["agreed_on"], ["partner"]
    ]  # fmt: skip


async def test_the_plan_is_checked_and_only_for_an_accepted_case(
    bot: Runtime, clock: Clock
) -> None:
    case = await accepted_case(bot, clock, 9107)
    service = ledger_of(bot, clock)
    for form, field in [
        (PlanForm("lottery"), "kind"),
        (PlanForm("job", agreed_on="2026-12-24"), "agreed_on"),
        (PlanForm("job", partner="x" * 201), "partner"),
    ]:
        with pytest.raises(GrantRefused) as refused:
            await service.save_plan(case.reference, form, "amina")
        assert refused.value.field == field
    async with bot.store.unit() as unit:
        await cases.change_status(unit, case, "withdrawn", "setup", "", None, clock())
    with pytest.raises(GrantRefused):
        await service.save_plan(case.reference, PlanForm("job"), "amina")
    assert await table_rows(bot, OutboxMessage) == []


async def test_every_change_of_a_plan_or_an_item_touches_the_case(
    bot: Runtime, clock: Clock
) -> None:
    case = await accepted_case(bot, clock, 9108)
    now = clock()
    priced = costing(MOTORBIKE)
    async with bot.store.unit() as unit:
        await grants.save_plan(unit, case.id, grants.Plan("job", "", "", None), "amina", now)
        assert unit.touched == {case.id}
    steps = [
        lambda unit, n: grants.change_item(unit, case.id, n, priced, now),
        lambda unit, n: grants.approve(unit, case.id, n, "amina", None, now),
        lambda unit, n: grants.deliver(unit, case.id, n, now.date(), "R1", now),
    ]
    async with bot.store.unit() as unit:
        number = await grants.add_item(unit, case.id, priced, "amina", now)
        assert unit.touched == {case.id}
    for step in steps:
        async with bot.store.unit() as unit:
            assert await step(unit, number)
            assert unit.touched == {case.id}
    async with bot.store.unit() as unit:
        other = await grants.add_item(unit, case.id, priced, "amina", now)
    async with bot.store.unit() as unit:
        assert await grants.remove_item(unit, case.id, other)
        assert unit.touched == {case.id}
