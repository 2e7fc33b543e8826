"""The departure's reconfirmation: asked 72 hours before the flight, answered with a tap.

A row per question (bot/store/reconfirmations.py), due at the flight's time less 72 hours
(in the office's time zone, out of the quiet hours). A periodic sweep sends the question
and marks the row in one transaction, through the outbox: sent once, kept over a restart.
A day without an answer alerts the caseworker, as does "I have changed my mind";
"I need to talk to someone" asks for a call like /human.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import flags
from bot.engine import fold
from bot.engine.checkins import Schedule
from bot.engine.flow import N_
from bot.engine.words import Vocabulary
from bot.followups.planning import allowed
from bot.replies import DepartureAnswered, DepartureCheck, DepartureOutdated, Reply, User
from bot.service import Alerts, Journal, Service
from bot.status import Status
from bot.store import Store, Unit, audit, cases, people, reconfirmations
from bot.store.travel import TravelDetails

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# Sends a chat's waiting messages now (the outbox's flush); what it did does not matter
# here: a message not sent waits in the outbox, which tries again.
Flush = Callable[[int, int | None], Awaitable[object]]

BEFORE = timedelta(hours=72)  # the question, this long before the flight
ANSWER_WITHIN = timedelta(hours=24)  # then the caseworker is told
TRAVELLING, CHANGED_MIND, TALK = "travelling", "changed_mind", "talk"
# The buttons' short codes: "!depart|<code>_<row id>".
CODES = {"y": TRAVELLING, "n": CHANGED_MIND, "t": TALK}
ACTION = "depart"
LABELS = {
    TRAVELLING: N_("Yes, I am travelling"),
    CHANGED_MIND: N_("I have changed my mind"),
    TALK: N_("I need to talk to someone"),
}
# Why the caseworker is alerted, as the audit log and the notification name it.
ALERT_CHANGED_MIND, ALERT_NO_ANSWER = "changed_mind", "no_answer"


def flight_at(details: TravelDetails | None, zone: ZoneInfo) -> datetime | None:
    """The flight's departure in UTC, from its local date and time; None until both are known."""
    if details is None or details.flight_date is None or details.flight_time is None:
        return None
    local = datetime.combine(details.flight_date, details.flight_time, tzinfo=zone)
    return local.astimezone(UTC)


def ask_at(flight: datetime, now: datetime, schedule: Schedule, zone: ZoneInfo) -> datetime | None:
    """When to ask: 72 hours before the flight, at once if that has passed, never in the
    quiet hours; None once the flight has left."""
    if flight <= now:
        return None
    return allowed(max(flight - BEFORE, now), schedule, zone)


async def replan(
    unit: Unit,
    case_id: int,
    status: str,
    details: TravelDetails | None,
    now: datetime,
    zone: ZoneInfo,
    schedule: Schedule,
) -> None:
    """The question the case calls for now: one for a booked flight still to come; none
    otherwise (the open one is cancelled)."""
    flight = flight_at(details, zone) if status == Status.TRAVEL_BOOKED else None
    due = ask_at(flight, now, schedule, zone) if flight is not None else None
    if flight is None or due is None:
        await reconfirmations.cancel(unit, case_id, now)
        return
    await reconfirmations.plan(unit, case_id, flight, due, now)


async def alert_caseworker(
    unit: Unit, case_id: int, reason: str, now: datetime, alerts: Alerts | None
) -> None:
    """The one place a caseworker is told about a departure in doubt, in the transaction
    that found it: the case's red flag (shown first in the queue), an audit event
    "departure.alert" with the reason, and the caseworker's (or duty officer's) Telegram
    notification."""
    flag = flags.CHANGED_MIND if reason == ALERT_CHANGED_MIND else flags.NOT_RECONFIRMED
    await cases.add_flag(unit, case_id, flag)
    await audit.record(unit, "departure.alert", now, pre_registration_id=case_id, reason=reason)
    if alerts is not None:
        await alerts.flagged(unit, case_id, [flag], now)


class Sweep:
    """Acts on the due rows: asks the question, or alerts the caseworker when unanswered."""

    def __init__(
        self,
        store: Store,
        journal: Journal,
        flush: Flush,
        clock: Clock,
        zone: ZoneInfo,
        *,
        alerts: Alerts | None = None,
        batch: int = 100,
    ) -> None:
        self.store = store
        self.alerts = alerts  # who is told of a departure in doubt (bot/duty.py)
        self.journal = journal  # the outbox: the question kept with the row's mark
        self.flush = flush
        self.clock = clock
        self.zone = zone  # the office's: the flight's date and time are shown in it
        self.batch = batch

    async def run_once(self) -> Counter[str]:
        """Act on every row due now; counts by outcome."""
        done: Counter[str] = Counter()
        while True:
            now = self.clock()
            async with self.store.unit() as unit:
                rows = await reconfirmations.due(unit, now, self.batch)
            for due in rows:
                done[await self._act(due)] += 1
            if len(rows) < self.batch:
                return done

    async def job(self, context: object = None) -> None:
        """The scheduler's entry point: one run, logged with counts only."""
        done = await self.run_once()
        if done:
            log.info("reconfirmations: %s", ", ".join(f"{k} {n}" for k, n in sorted(done.items())))

    async def _act(self, due: reconfirmations.Due) -> str:
        row, now = due.row, self.clock()
        if row.status == reconfirmations.SENT:
            async with self.store.unit() as unit:
                if not await reconfirmations.mark_unanswered(unit, row.id, now):
                    return "taken"
                await alert_caseworker(
                    unit, row.pre_registration_id, ALERT_NO_ANSWER, now, self.alerts
                )
            return "unanswered"
        local = row.flight_at.astimezone(self.zone)
        question = DepartureCheck(row.id, due.reference, local.date(), local.strftime("%H:%M"))
        async with self.store.unit() as unit:
            if not await reconfirmations.mark_sent(unit, row.id, now, now + ANSWER_WITHIN):
                return "taken"  # another sweep, or a change of plan, got there first
            user = User(due.telegram_id)
            await self.journal.keep(unit, user, Reply(due.language, [question]), now)
            await audit.record(
                unit,
                "departure.reconfirmation_sent",
                now,
                pre_registration_id=row.pre_registration_id,
            )
        await self.flush(due.telegram_id, None)
        return "asked"


def parse(argument: str) -> tuple[str, int] | None:
    """(answer, row id) from a button's argument "<code>_<id>"; None for anything else."""
    code, _, number = argument.partition("_")
    if code not in CODES or not number.isdigit() or len(number) > 10:
        return None
    return CODES[code], int(number)


class Answers(Service):
    """The person's answer to the question, from their own chat."""

    async def answer(self, user: User, argument: str) -> Reply:
        """A tap on one of the question's buttons. A tap on an old question, on one already
        answered, or on someone else's changes nothing."""
        parsed = parse(argument)

        async def work(unit: Unit, now: datetime) -> Reply:
            person = await people.find(unit, user.telegram_id)
            language = person.language if person else self.negotiate(user.language_code)
            if parsed is None or person is None:
                return Reply(language, [DepartureOutdated()])
            answer, row_id = parsed
            row = await reconfirmations.by_id(unit, row_id)
            if row is None or await reconfirmations.owner(unit, row_id) != user.telegram_id:
                log.warning("ignored a reconfirmation button of another person")
                return Reply(language, [DepartureOutdated()])
            if not await record(unit, row, answer, now, self.alerts):
                return Reply(language, [DepartureOutdated()])
            return Reply(language, [DepartureAnswered(answer)])

        return await self._answer(user, work)


def typed(words: Vocabulary, text: str) -> str | None:
    """The answer typed words clearly give to the question: a button's label in any
    language, or a word for yes or no (the question is "are you still travelling?")."""
    key = fold(text)
    if not key:
        return None
    named = {answer for answer, label in LABELS.items() if key in words.labels.get(label, ())}
    if key in words.yes:
        named.add(TRAVELLING)
    if key in words.no:
        named.add(CHANGED_MIND)
    return named.pop() if len(named) == 1 else None


async def typed_answer(
    unit: Unit,
    case_id: int,
    text: str,
    words: Vocabulary,
    now: datetime,
    alerts: Alerts | None,
) -> DepartureAnswered | None:
    """Text from a person whose case waits for their answer to the question: the answer,
    recorded, if the text clearly gives one; None otherwise (the text is a message)."""
    waiting = [r for r in await reconfirmations.of_case(unit, case_id) if r.status in
               reconfirmations.ANSWERABLE]  # fmt: skip
    answer = typed(words, text) if waiting else None
    if answer is None or not await record(unit, waiting[-1], answer, now, alerts):
        return None
    return DepartureAnswered(answer)


async def record(
    unit: Unit,
    row: reconfirmations.ReconfirmationRecord,
    answer: str,
    now: datetime,
    alerts: Alerts | None,
) -> bool:
    """The person's answer and what it means for the case; False if the question waits
    for no answer (answered already, or cancelled)."""
    if not await reconfirmations.mark_answered(unit, row.id, answer, now):
        return False
    case_id = row.pre_registration_id
    await audit.record(
        unit, "departure.reconfirmation_answered", now, pre_registration_id=case_id,
        answer=answer,
    )  # fmt: skip
    if answer == TRAVELLING:
        await reconfirmations.remove_flag(unit, case_id, flags.NOT_RECONFIRMED)
    elif answer == CHANGED_MIND:
        await alert_caseworker(unit, case_id, ALERT_CHANGED_MIND, now, alerts)
    else:
        new = await cases.add_flag(unit, case_id, flags.WANTS_HUMAN)
        await audit.record(unit, "case.human_requested", now, pre_registration_id=case_id)
        if new and alerts is not None:
            await alerts.flagged(unit, case_id, [flags.WANTS_HUMAN], now)
    return True
