"""Who works which case: new cases given out by rule, taking and reassigning a case, red
flags seen to, and the person's messages read by the case's caseworker."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot import flags
from bot.casework import Casework, NoSuchCase, Refused
from bot.engine.flow import N_
from bot.roles import Role
from bot.store import Store, Unit, acknowledgements, assignment, audit, caseload, cases, reading
from bot.store.accounts import AccountRecord
from bot.store.acknowledgements import Acknowledgement

Clock = Callable[[], datetime]
ACK_NOTE_LIMIT = 1000
RULE_ACTOR = "rule"  # who the audit says assigned a case given out by the rule


class NewCases(enum.StrEnum):
    """How a case just submitted is given out (INTAKE_ASSIGN_NEW_CASES)."""

    NONE = "none"  # unassigned, until a supervisor gives it or a caseworker takes it
    ROUND_ROBIN = "round_robin"  # to each active caseworker in turn


async def assign_new(unit: Unit, case_id: int, rule: NewCases, now: datetime) -> int | None:
    """Give a case just submitted to its caseworker by `rule`, in the submitting transaction."""
    if rule is not NewCases.ROUND_ROBIN:
        return None
    account_id = await caseload.next_in_turn(unit, case_id)
    if account_id is not None:
        await assignment.assign(unit, case_id, account_id, RULE_ACTOR, now)
    return account_id


@dataclass(frozen=True)
class Opened:
    """What the case page shows of the case's ownership, as one account opened it."""

    assignee: int | None
    unread: int  # messages from the person its caseworker has still not opened
    read_now: int  # messages this opening marked read
    acknowledged: dict[str, Acknowledgement]


async def opened(unit: Unit, case_id: int, account: AccountRecord, now: datetime) -> Opened:
    """The case page is opened: its caseworker reads the person's messages; nobody else does
    (with nobody assigned they stay unread until someone has the case)."""
    owner = await assignment.assignee(unit, case_id)
    read_now = await reading.mark_read(unit, case_id, now) if owner == account.id else 0
    unread = (await reading.counts(unit, [case_id])).get(case_id, 0)
    return Opened(owner, unread, read_now, await acknowledgements.of_case(unit, case_id))


class Caseload:
    """The ownership use-cases of a case, bound to the store, the case services and the clock."""

    def __init__(self, store: Store, casework: Casework, clock: Clock) -> None:
        self.store = store
        self.casework = casework
        self.clock = clock

    async def take(self, reference: str, account: AccountRecord) -> cases.CaseRecord:
        """A caseworker takes a case nobody has; refused if someone has it."""
        async with self.store.unit() as unit:
            found = await _case(unit, reference)
            if await assignment.assignee(unit, found.id) == account.id:
                return found
            if not await caseload.take(unit, found.id, account.id, account.username,
                                       self.clock()):  # fmt: skip
                raise Refused(N_("Someone else has this case: ask a supervisor to give it."))
        return found

    async def reassign(
        self, reference: str, account_id: int | None, actor: AccountRecord
    ) -> cases.CaseRecord:
        """A supervisor gives the case to an active caseworker or supervisor, or to nobody."""
        if actor.role != Role.SUPERVISOR:
            raise Refused(N_("Only a supervisor may give a case to someone."))
        return await self.casework.assign(reference, account_id, actor.username)

    async def acknowledge(
        self, reference: str, flag: str, note: str, actor: AccountRecord
    ) -> cases.CaseRecord:
        """A red flag seen to, with a note: it stays on the case, out of the inbox."""
        note = note.strip()[:ACK_NOTE_LIMIT]
        if flag not in flags.RED:
            raise Refused(N_("Only a red flag is acknowledged."))
        if not note:
            raise Refused(N_("Say in a note what was done."))
        async with self.store.unit() as unit:
            found = await _case(unit, reference)
            now = self.clock()
            if not await acknowledgements.acknowledge(
                unit, found.id, flag, actor.username, note, now
            ):
                raise Refused(N_("This flag is not on the case, or was acknowledged already."))
            await audit.record(unit, "case.flag_acknowledged", now, actor=actor.username,
                               pre_registration_id=found.id, flag=flag)  # fmt: skip
        return found


async def _case(unit: Unit, reference: str) -> cases.CaseRecord:
    found = await cases.by_reference(unit, reference)
    if found is None:
        raise NoSuchCase(reference)
    return found
