"""A returnee's reintegration: the plan agreed with them, and the grant in kind's ledger.

Items are priced in the vendor's currency with the day's USD rate recorded on the item
(bot/pricing.py); their USD amount is kept in cents. An item goes
planned -> approved -> delivered. Approving one that would bring the approved and
delivered items over the case's cap (its project's, else the settings') is refused,
unless a supervisor overrides it with a note. The person is told, in their language and
through the outbox, when their plan is agreed and when an item is delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.engine.flow import N_
from bot.grant_terms import PLAN_KINDS
from bot.i18n import Catalogs
from bot.message_templates import Given, MessageTemplates, Template, TemplateRefused
from bot.pricing import TEXT_LIMIT, GrantRefused, ItemForm, costing, parse_date
from bot.roles import Permission, can
from bot.status import Status
from bot.store import Store, Unit, audit, cases, notes, outbox
from bot.store import grants as ledger
from bot.store.grants import APPROVED, DELIVERED, PLANNED, Costing, Item, Plan

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Flush = Callable[[int], Awaitable[object]]  # sends a chat's waiting messages

STATUS_LABELS: dict[str, str] = {
    PLANNED: N_("Planned"),
    APPROVED: N_("Approved"),
    DELIVERED: N_("Delivered"),
}
# From acceptance on, the case has a reintegration; a closed one's is read only.
SHOWN = frozenset(
    {
        Status.ACCEPTED,
        Status.DOC_REQUESTED,
        Status.DOC_RECEIVED,
        Status.TRAVEL_BOOKED,
        Status.DEPARTED,
        Status.RETURNED,
        Status.CLOSED,
    }
)
EDITABLE = SHOWN - {Status.CLOSED}
# The messages to the person, as message templates (bot/message_templates.py USUAL).
PLAN_AGREED, ITEM_DELIVERED = "plan_agreed", "grant_delivered"
NOTE_LIMIT = 2000


class NoSuchCase(LookupError):
    """No case has this reference."""


@dataclass(frozen=True)
class PlanForm:
    """The plan as typed: every field a string, checked by `Reintegration.save_plan`."""

    kind: str = ""
    description: str = ""
    partner: str = ""
    agreed_on: str = ""


@dataclass(frozen=True)
class Cap:
    """A case's grant cap in USD cents, and what it is made of."""

    cents: int
    per_person_cents: int
    member_cents: int | None
    members: int
    project: str | None  # None: the settings' caps


class Reintegration:
    """The plan and the ledger use-cases, bound to the store, the caps and the clock."""

    def __init__(
        self,
        store: Store,
        catalogs: Catalogs,
        clock: Clock,
        *,
        cap_usd: Decimal = Decimal(600),
        member_cap_usd: Decimal | None = None,
        templates: MessageTemplates | None = None,
        office: str = "",
        flush: Flush | None = None,
    ) -> None:
        self.store = store
        self.catalogs = catalogs
        self.clock = clock
        self.cap_cents = int(cap_usd * 100)  # for a case in no project
        self.member_cap_cents = int(member_cap_usd * 100) if member_cap_usd is not None else None
        self.templates = templates  # the person's messages; none: the person is not told
        self.office = office
        self.flush = flush  # sends what was just queued; the outbox's job would, later

    async def cap(self, unit: Unit, case_id: int) -> Cap:
        """The case's cap: its project's, else the settings'; plus each family member's."""
        facts = await ledger.caps(unit, case_id)
        if facts.grant_cap_cents is not None:
            base, member = facts.grant_cap_cents, facts.member_cap_cents
        else:
            base, member = self.cap_cents, self.member_cap_cents
        total = base + (member or 0) * facts.members
        return Cap(total, base, member, facts.members, facts.project)

    async def save_plan(self, reference: str, form: PlanForm, actor: str) -> cases.CaseRecord:
        """Check and store the plan; the person is told when its agreed date is first set."""
        if form.kind not in PLAN_KINDS:
            raise GrantRefused(N_("Choose the kind of plan from the list."), "kind")
        description = form.description.strip().replace("\r\n", "\n")
        if len(description) > NOTE_LIMIT:
            reason = N_("The plan's description is too long: at most 2000 characters.")
            raise GrantRefused(reason, "description")
        partner = " ".join(form.partner.split())
        if len(partner) > TEXT_LIMIT:
            reason = N_("The partner's name is too long: at most 200 characters.")
            raise GrantRefused(reason, "partner")
        agreed_on = parse_date(form.agreed_on)
        now = self.clock()
        if agreed_on is not None and agreed_on > now.date():
            raise GrantRefused(N_("The plan cannot be agreed in the future."), "agreed_on")
        plan = Plan(form.kind, description, partner, agreed_on)
        template = await self._template(PLAN_AGREED)
        async with self.store.unit() as unit:
            found = await self._case(unit, reference)
            changed, before = await ledger.save_plan(unit, found.id, plan, actor, now)
            agreed = agreed_on is not None and (before is None or before.agreed_on is None)
            if changed:
                await audit.record(
                    unit, "reintegration.plan_saved", now, actor=actor,
                    pre_registration_id=found.id, fields=changed, kind=plan.kind,
                    agreed_on=agreed_on.isoformat() if agreed_on else None,
                )  # fmt: skip
            told = await self._tell(unit, found, template, agreed_on, actor) if agreed else None
        if told is not None and self.flush is not None:
            await self.flush(told)
        return found

    async def add_item(self, reference: str, form: ItemForm, actor: str) -> int:
        """A planned item on the case's ledger; its id."""
        priced = costing(form)
        async with self.store.unit() as unit:
            found = await self._case(unit, reference)
            now = self.clock()
            item_id = await ledger.add_item(unit, found.id, priced, actor, now)
            await audit.record(
                unit, "grant.item_added", now, actor=actor, pre_registration_id=found.id,
                item=item_id, **_amounts(priced),
            )  # fmt: skip
        return item_id

    async def change_item(self, reference: str, item_id: int, form: ItemForm, actor: str) -> None:
        """A planned item described or priced anew."""
        priced = costing(form)
        async with self.store.unit() as unit:
            found, before = await self._item(unit, reference, item_id, PLANNED)
            now = self.clock()
            await ledger.change_item(unit, found.id, item_id, priced, now)
            changed = [name for name in ledger.COSTING_FIELDS
                       if getattr(before.costing, name) != getattr(priced, name)]  # fmt: skip
            await audit.record(
                unit, "grant.item_changed", now, actor=actor, pre_registration_id=found.id,
                item=item_id, fields=changed,
                amount_before_cents=before.costing.amount_usd_cents, **_amounts(priced),
            )  # fmt: skip

    async def remove_item(self, reference: str, item_id: int, actor: str) -> None:
        """A planned item taken off the ledger."""
        async with self.store.unit() as unit:
            found, before = await self._item(unit, reference, item_id, PLANNED)
            now = self.clock()
            await ledger.remove_item(unit, found.id, item_id)
            await audit.record(
                unit, "grant.item_removed", now, actor=actor, pre_registration_id=found.id,
                item=item_id, **_amounts(before.costing),
            )  # fmt: skip

    async def approve(
        self,
        reference: str,
        item_id: int,
        actor: str,
        role: str,
        *,
        override: bool = False,
        note: str = "",
    ) -> None:
        """Approve a planned item, within the cap; over it, only a supervisor's override
        with a note does (kept on the item, and as a note on the case)."""
        note = note.strip()[:NOTE_LIMIT]
        async with self.store.unit() as unit:
            found, item = await self._item(unit, reference, item_id, PLANNED)
            cap = await self.cap(unit, found.id)
            totals = await ledger.totals(unit, found.id)
            total = totals[APPROVED] + totals[DELIVERED] + item.costing.amount_usd_cents
            over = total > cap.cents
            if over and not override:
                reason = N_("Approving this item would bring the approved and delivered items "
                            "to {total}, over the grant's cap of {cap}.")  # fmt: skip
                raise GrantRefused(reason, "override", total=total, cap=cap.cents)
            if over and not can(role, Permission.OVERRIDE_GRANT_CAP):
                reason = N_("Only a supervisor may approve an item over the grant's cap "
                            "({total} for a cap of {cap}).")  # fmt: skip
                raise GrantRefused(reason, "override", total=total, cap=cap.cents)
            if over and not note:
                reason = N_("Say why this item is approved over the grant's cap.")
                raise GrantRefused(reason, "note")
            now = self.clock()
            await ledger.approve(unit, found.id, item_id, actor, note if over else None, now)
            if over:
                await notes.add(unit, found.id, actor, note, now)
            await audit.record(
                unit, "grant.item_approved", now, actor=actor, pre_registration_id=found.id,
                item=item_id, amount_usd_cents=item.costing.amount_usd_cents,
                committed_usd_cents=total, cap_usd_cents=cap.cents, over_cap=over,
            )  # fmt: skip

    async def deliver(
        self, reference: str, item_id: int, delivered_on: str, proof: str, actor: str
    ) -> None:
        """An approved item delivered, with its proof; the person is told."""
        day = parse_date(delivered_on)
        now = self.clock()
        if day is None or day > now.date():
            reason = N_("Give the day the item was delivered: today or a past day.")
            raise GrantRefused(reason, "delivered_on")
        proof = " ".join(proof.split())
        if not proof or len(proof) > TEXT_LIMIT:
            reason = N_("Give the proof's reference (a receipt's number, a photo's name).")
            raise GrantRefused(reason, "proof")
        template = await self._template(ITEM_DELIVERED)
        async with self.store.unit() as unit:
            found, item = await self._item(unit, reference, item_id, APPROVED)
            await ledger.deliver(unit, found.id, item_id, day, proof, now)
            await audit.record(
                unit, "grant.item_delivered", now, actor=actor, pre_registration_id=found.id,
                item=item_id, amount_usd_cents=item.costing.amount_usd_cents,
                delivered_on=day.isoformat(),
            )  # fmt: skip
            told = await self._tell(unit, found, template, day, actor)
        if told is not None and self.flush is not None:
            await self.flush(told)

    async def _case(self, unit: Unit, reference: str) -> cases.CaseRecord:
        found = await cases.by_reference(unit, reference)
        if found is None:
            raise NoSuchCase(reference)
        if found.status not in EDITABLE:
            reason = N_("The reintegration is prepared once the case is accepted, until it "
                        "is closed.")  # fmt: skip
            raise GrantRefused(reason)
        return found

    async def _item(
        self, unit: Unit, reference: str, item_id: int, status: str
    ) -> tuple[cases.CaseRecord, Item]:
        """The case and its item, which must be at `status`."""
        found = await self._case(unit, reference)
        item = await ledger.item(unit, found.id, item_id)
        if item is None:
            raise GrantRefused(N_("No such item on this case."))
        if item.status != status:
            raise GrantRefused(_MOVED[status])
        return found, item

    async def _template(self, key: str) -> Template | None:
        return await self.templates.get(key) if self.templates is not None else None

    async def _tell(
        self,
        unit: Unit,
        case: cases.CaseRecord,
        template: Template | None,
        day: date | None,
        actor: str,
    ) -> int | None:
        """Queue the template, filled in the person's language; their chat, or None when
        they cannot be told (no template, no chat, no text in their language)."""
        person = await cases.recipient(unit, case.id)
        if template is None or self.templates is None or person is None:
            return None
        telegram_id, language = person
        tr = self.catalogs.translator(language)
        try:
            text = self.templates.fill(template, tr.language, case.reference, Given(date=day))
        except TemplateRefused:
            log.warning("the template %s has no usable text in %s", template.key, tr.language)
            return None
        header = tr.gettext("Message from the {office} team:", office=self.office)
        now = self.clock()
        await outbox.add(unit, [outbox.Message(telegram_id, f"{header}\n\n{text}")], now)
        await audit.record(
            unit, "case.message_queued", now, actor=actor, pre_registration_id=case.id,
            template=template.key, language=tr.language,
        )  # fmt: skip
        return telegram_id


_MOVED = {
    PLANNED: N_("This item is no longer planned: it was approved meanwhile."),
    APPROVED: N_("Only an approved item can be delivered."),
}


def _amounts(costing: Costing) -> dict[str, Any]:
    """An item's amounts, for the audit (never its description or vendor)."""
    return {
        "category": costing.category,
        "quantity": costing.quantity,
        "unit_cost_cents": costing.unit_cost_cents,
        "currency": costing.currency,
        "usd_rate": costing.usd_rate,
        "amount_usd_cents": costing.amount_usd_cents,
    }
