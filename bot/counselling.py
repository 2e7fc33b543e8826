"""The counselling record of a case and its people: what a caseworker checks in person
(the checklist of conversations/checklist.yaml) and each family member's details."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from bot.casework import NOTE_LIMIT, NoSuchCase, Refused
from bot.checklist import Checklist, ItemKind
from bot.engine import Flow, Option
from bot.engine.flow import N_
from bot.store import Store, Unit, audit, cases, counselling, members

Clock = Callable[[], datetime]

# A family member's fitness to travel, as the counselling checklist has it for the applicant.
FITNESS = (
    Option("fit", N_("Fit to travel")),
    Option("needs_escort", N_("Fit to travel with an escort")),
    Option("not_fit", N_("Not fit to travel")),
)
VULNERABILITIES = (
    Option("medical", N_("Medical needs")),
    Option("pregnant", N_("Pregnant")),
    Option("disability", N_("Disability")),
    Option("older_person", N_("Older person")),
    Option("unaccompanied_child", N_("Child travelling without a parent")),
    Option("protection", N_("Protection needs")),
)
_BIRTH = re.compile(r"^\d{4}(-\d{2}-\d{2})?$")  # as the intake stores it: a date, or a year


@dataclass(frozen=True)
class ItemInput:
    """What a caseworker records for one checklist item, as typed."""

    item: str
    value: str = ""
    done_on: date | None = None
    done_by: str = ""
    clear: bool = False


@dataclass(frozen=True)
class MemberInput:
    """A family member's details, as typed."""

    name: str
    relationship: str = ""
    date_of_birth: str = ""
    travel_document: str = ""
    fitness: str = ""
    vulnerabilities: tuple[str, ...] = ()


class Counselling:
    """The counselling use-cases, bound to the store, the intake flow and the checklist."""

    def __init__(self, store: Store, flow: Flow, checklist: Checklist, clock: Clock) -> None:
        self.store = store
        self.flow = flow
        self.checklist = checklist
        self.clock = clock

    def options(self, step_id: str) -> tuple[Option, ...]:
        """The intake's options for a question (a member's relationship, a travel document)."""
        for step in self.flow.steps:
            for found in (step, *step.steps):
                if found.id == step_id:
                    return found.options
        return ()

    async def record(self, reference: str, given: ItemInput, actor: str) -> cases.CaseRecord:
        """Record (or clear) one checklist item of a case; audited by item, never by value."""
        item = self.checklist.item(given.item)
        if item is None:
            raise Refused(N_("No such checklist item."), "")
        value, done_by = given.value.strip()[:NOTE_LIMIT], given.done_by.strip()[:100]
        if not given.clear:
            if item.kind is ItemKind.CONFIRM:
                if given.done_on is None or not done_by:
                    field = "done_on" if given.done_on is None else "done_by"
                    raise Refused(N_("Give the date and who did it."), field)
                if given.done_on > self.clock().date():
                    raise Refused(N_("The date cannot be in the future."), "done_on")
            if item.kind is ItemKind.CHOICE and item.option(value) is None:
                raise Refused(N_("Choose one of the answers."), "value")
        async with self.store.unit() as unit:
            found = await self._case(unit, reference)
            now = self.clock()
            if given.clear or (item.kind is ItemKind.TEXT and not value):
                await counselling.clear(unit, found.id, item.id)
                action = "case.checklist_cleared"
            else:
                await counselling.record(
                    unit, found.id, item.id, value, given.done_on, done_by, actor, now
                )
                action = "case.checklist_recorded"
            await audit.record(unit, action, now, actor=actor, pre_registration_id=found.id,
                               item=item.id)  # fmt: skip
        return found

    async def change_member(
        self, reference: str, member_id: int, given: MemberInput, actor: str
    ) -> cases.CaseRecord:
        """A family member's details as a caseworker sets them; audited by member id."""
        name = " ".join(given.name.split())
        if not 2 <= len(name) <= members.NAME_LIMIT:
            raise Refused(N_("Write the person's name (2 to 100 characters)."), "name")
        birth = given.date_of_birth.strip()
        if birth and (not _BIRTH.match(birth) or not _past(birth, self.clock().date())):
            raise Refused(
                N_("Write the date of birth as a past date, or a year alone."), "date_of_birth"
            )
        self._one_of(given.relationship, self.options("relationship"), "relationship")
        self._one_of(given.travel_document, self.options("travel_document"), "travel_document")
        self._one_of(given.fitness, FITNESS, "fitness")
        for value in given.vulnerabilities:
            self._one_of(value, VULNERABILITIES, "vulnerabilities")
        changes = members.Changes(
            name=name,
            relationship=given.relationship or None,
            date_of_birth=birth or None,
            travel_document=given.travel_document or None,
            fitness=given.fitness or None,
            vulnerabilities=tuple(v for v, _l in _ordered(given.vulnerabilities)),
        )
        async with self.store.unit() as unit:
            found = await self._case(unit, reference)
            now = self.clock()
            if not await members.change(unit, found.id, member_id, changes, actor, now):
                raise Refused(N_("No such family member on this case."), "")
            await audit.record(unit, "case.member_changed", now, actor=actor,
                               pre_registration_id=found.id, member=member_id)  # fmt: skip
        return found

    @staticmethod
    def _one_of(value: str, options: tuple[Option, ...], field: str) -> None:
        if value and value not in {option.value for option in options}:
            raise Refused(N_("Choose one of the answers."), field)

    async def _case(self, unit: Unit, reference: str) -> cases.CaseRecord:
        found = await cases.by_reference(unit, reference)
        if found is None:
            raise NoSuchCase(reference)
        return found


def _ordered(values: tuple[str, ...]) -> list[tuple[str, str]]:
    """Vulnerabilities once each, in the list's order."""
    return [(o.value, o.label) for o in VULNERABILITIES if o.value in values]


def _past(birth: str, today: date) -> bool:
    try:
        born = date(int(birth), 1, 1) if len(birth) == 4 else date.fromisoformat(birth)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= today
