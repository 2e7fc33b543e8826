"""Funded projects: a supervisor sets their terms; the office sees their places, waiting
lists and grant budgets, and moves the next waiting case in when a place frees.

A case joins a project when it is accepted (`Casework.change_status`, with
`bot/decisions.py` placing it, or on the waiting list when the project is full).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from bot.casework import Casework, Clock, NoSuchCase, Refused, StatusChange
from bot.decisions import country
from bot.engine.flow import N_
from bot.status import Status
from bot.store import Store, Unit, audit, cases
from bot.store import projects as rows
from bot.store.projects import FREEING, ProjectRecord, Terms, Waiting

NAME_LIMIT = 100
_CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class ProjectForm:
    """A project's terms as a supervisor typed them."""

    name: str = ""
    funders: str = ""  # one per line, or separated by commas
    countries: str = ""  # ISO codes, separated by commas or spaces
    starts_on: date | None = None
    ends_on: date | None = None
    capacity: str = ""
    grant_cap: str = ""  # USD, e.g. 600 or 600.50
    member_cap: str = ""  # USD per family member; empty: none


@dataclass(frozen=True)
class Standing:
    """Where a project stands: its places, its waiting list and its grant budget."""

    project: ProjectRecord
    used: int  # people holding a place
    waiting: list[Waiting]
    grants_cents: int  # approved and delivered grant items of its cases, USD cents

    @property
    def free(self) -> int:
        return max(0, self.project.capacity - self.used)

    @property
    def next(self) -> Waiting | None:
        """The first case on the waiting list."""
        return self.waiting[0] if self.waiting else None

    @property
    def room_for_next(self) -> bool:
        """Whether the first waiting case's people fit in the free places."""
        return self.next is not None and self.next.people <= self.free


class Projects:
    """The projects' use-cases, bound to the store, the case use-cases and the clock."""

    def __init__(self, store: Store, casework: Casework, clock: Clock) -> None:
        self.store = store
        self.casework = casework
        self.clock = clock

    async def create(self, form: ProjectForm, actor: str) -> int:
        """A new project; Refused with the field at fault."""
        terms = _terms(form)
        async with self.store.unit() as unit:
            if await rows.by_name(unit, terms.name) is not None:
                raise Refused(N_("A project has this name already."), "name")
            return await rows.add(unit, terms, actor, self.clock())

    async def edit(self, project_id: int, form: ProjectForm, actor: str) -> list[str]:
        """A project's new terms; the names of the fields changed. LookupError: no project."""
        terms = _terms(form)
        async with self.store.unit() as unit:
            before = await rows.by_id(unit, project_id)
            if before is None:
                raise LookupError(project_id)
            same = await rows.by_name(unit, terms.name)
            if same is not None and same.id != project_id:
                raise Refused(N_("A project has this name already."), "name")
            return await rows.change(unit, before, terms, actor, self.clock())

    async def overview(self) -> list[Standing]:
        """Every project with its places, waiting list and grants, by name."""
        async with self.store.unit() as unit:
            return await standings(unit)

    async def standing(self, project_id: int) -> Standing | None:
        """One project's standing, or None."""
        async with self.store.unit() as unit:
            found = await standings(unit, project_id)
        return found[0] if found else None

    async def funders(self) -> list[str]:
        async with self.store.unit() as unit:
            return await rows.funders(unit)

    async def admit(self, project_id: int, reference: str, actor: str) -> cases.CaseRecord:
        """Move a case from the project's waiting list into it, and tell the person they
        were accepted. NoSuchCase, Refused (not waiting there), TransitionRefused (no room)."""
        async with self.store.unit() as unit:
            found = await cases.by_reference(unit, reference)
            if found is None:
                raise NoSuchCase(reference)
            waits_here = await rows.of_case(unit, found.id) == project_id
        if found.status != Status.WAITLISTED or not waits_here:
            raise Refused(N_("This case is not on the project's waiting list."))
        change = StatusChange(Status.ACCEPTED, project=project_id, tell=True, admitted=True)
        return await self.casework.change_status(found, change, actor)


async def standings(unit: Unit, project_id: int | None = None) -> list[Standing]:
    """The standing of every project (or of one), by name."""
    every = [p for p in await rows.every(unit) if project_id in (None, p.id)]
    used = await rows.places_used(unit)
    grants = await rows.grants_used(unit)
    return [
        Standing(p, used.get(p.id, 0), await rows.waiting(unit, p.id), grants.get(p.id, 0))
        for p in every
    ]


async def choices(
    unit: Unit, case: cases.CaseRecord, today: date
) -> tuple[list[ProjectRecord], int | None]:
    """The projects a case may join, those that fit it first, and the one preselected: its
    own project, or the only one that fits."""
    every = await rows.every(unit)
    own = await rows.of_case(unit, case.id)
    where = country(case)
    fitting = [p for p in every if p.covers(where, today)]
    others = [p for p in every if p not in fitting]
    chosen = own if own is not None else (fitting[0].id if len(fitting) == 1 else None)
    return fitting + others, chosen


async def freed(unit: Unit, case: cases.CaseRecord) -> Standing | None:
    """The project whose place this case freed (withdrawn or not accepted) while a case
    waits for one; None otherwise."""
    if case.status not in FREEING:
        return None
    moves = [e for e in await audit.trail(unit, case.id) if e.action == "case.status_changed"]
    if not moves or moves[-1].details.get("from_status") not in rows.HOLDING:
        return None  # it only waited, or never joined: it held no place to free
    project_id = await rows.of_case(unit, case.id)
    if project_id is None:
        return None
    found = await standings(unit, project_id)
    return found[0] if found and found[0].next is not None else None


def _terms(form: ProjectForm) -> Terms:
    """The form's terms, or Refused with the first field at fault."""
    name = " ".join(form.name.split())
    if not name or len(name) > NAME_LIMIT:
        raise Refused(N_("Give the project's name (at most 100 characters)."), "name")
    funders = tuple(
        dict.fromkeys(
            " ".join(f.split())[:NAME_LIMIT] for f in re.split(r"[,\n]", form.funders) if f.strip()
        )
    )
    if not funders:
        raise Refused(N_("Name at least one funder."), "funders")
    codes = tuple(dict.fromkeys(c.upper() for c in re.split(r"[,\s]+", form.countries) if c))
    if not codes or not all(_CODE.match(c) for c in codes):
        reason = N_("Give the countries of return as two-letter ISO codes, such as SN, CM, ML.")
        raise Refused(reason, "countries")
    if form.starts_on is None:
        raise Refused(N_("Give the date the project starts."), "starts_on")
    if form.ends_on is not None and form.ends_on < form.starts_on:
        raise Refused(N_("The project cannot end before it starts."), "ends_on")
    capacity = form.capacity.strip()
    if not capacity.isdigit() or not 0 < int(capacity) <= 100_000:
        raise Refused(N_("Give the number of people the project can help."), "capacity")
    grant = _cents(form.grant_cap)
    if grant is None:
        raise Refused(N_("Give the grant's cap per person in USD, such as 600."), "grant_cap")
    member = _cents(form.member_cap) if form.member_cap.strip() else None
    if form.member_cap.strip() and member is None:
        reason = N_("Give the cap per family member in USD, or leave it empty.")
        raise Refused(reason, "member_cap")
    return Terms(name, funders, codes, form.starts_on, form.ends_on, int(capacity), grant,
                 member)  # fmt: skip


def _cents(text: str) -> int | None:
    """USD typed as 600 or 600.50, in cents; None if it is not an amount."""
    try:
        amount = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > 10_000_000 or amount != round(amount, 2):
        return None
    return int(amount * 100)


def dollars(cents: int) -> str:
    """Cents as USD, e.g. 60000 -> "600.00"."""
    return f"{cents // 100:,}.{cents % 100:02d}"
