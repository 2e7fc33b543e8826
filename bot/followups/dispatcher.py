"""The dispatcher: claims due check-ins, sends them, and records what happened.

Each row moves in short transactions around one send:

    claim (lease) -> "sending" (the check-in conversation opens) -> send -> "sent"

A dispatcher killed mid-send leaves the row "sending"; once its lease lapses, the next
run takes it as sent (`recover`). If the message never left, the reminder asks the same
question later: a check-in is never lost, and never sent twice in a row. Telegram's
answers decide the rest: 429 waits as long as Telegram says, 5xx and timeouts retry with
exponential backoff up to `max_attempts`, 403 (the person blocked the bot) stops every
check-in of that person. Nothing is sent in the quiet hours of the country of return.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, assert_never
from zoneinfo import ZoneInfo

from bot import engine, flags
from bot.chat.sender import Outcome, Sender
from bot.engine import Session
from bot.engine.checkins import Followups
from bot.followups.planning import allowed
from bot.followups.zones import zone_for
from bot.intake import Intake
from bot.replies import CheckinReminder, Item, Reply
from bot.store import Conflict, Store, Unit, audit, cases, checkins, claims, people, sessions

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
BUSY_RETRY = timedelta(hours=1)


@dataclass
class Report:
    """What one run did, by outcome: counts only."""

    outcomes: Counter[str] = field(default_factory=Counter)
    recovered: int = 0

    def __str__(self) -> str:
        done = ", ".join(f"{name} {n}" for name, n in sorted(self.outcomes.items()))
        return f"{done or 'nothing due'}; recovered {self.recovered}"


class Dispatcher:
    def __init__(
        self,
        store: Store,
        intake: Intake,
        followups: Followups,
        sender: Sender,
        clock: Clock,
        *,
        batch: int = 100,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.store = store
        self.intake = intake  # opens the check-ins' conversations
        self.followups = followups
        self.schedule = followups.schedule
        self.sender = sender
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.paused_until: datetime | None = None  # Telegram asked us to wait (429)
        self.stopping = False  # the process is stopping: no row after the one in hand
        self.delivered: list[int] = []  # sent in this batch, not yet marked sent

    async def run_once(self, batches: int | None = None) -> Report:
        """Act on every row due now (or on `batches` batches); each batch is claimed, then
        worked row by row."""
        report = Report()
        now = self.clock()
        if self.paused_until is not None:
            if now < self.paused_until:
                return report
            self.paused_until = None
        async with self.store.unit() as unit:
            report.recovered = await claims.recover(unit, now, self._reminder_time(now))
        for _ in itertools.repeat(None) if batches is None else range(batches):
            if self.stopping:
                break
            now = self.clock()
            async with self.store.unit() as unit:
                claimed = await claims.claim(unit, now, now + self.lease, self.batch)
            try:
                for index, row in enumerate(claimed):
                    outcome = await self._handle(row)
                    report.outcomes[outcome] += 1
                    if self.paused_until is not None:  # the rest waits until Telegram allows
                        await self._release_all(claimed[index + 1 :], self.paused_until)
                        return report
                    if self.stopping:  # the rest is due still, for the next process
                        await self._release_all(claimed[index + 1 :], now)
                        return report
            finally:
                await self._mark_delivered()
            if len(claimed) < self.batch:
                break
        return report

    async def _mark_delivered(self) -> None:
        """One transaction for the batch's sent rows. Until it commits they stay "sending";
        after a crash `recover` takes them as sent, which they are."""
        if self.delivered:
            now = self.clock()
            async with self.store.unit() as unit:
                await claims.mark_sent(unit, self.delivered, now, self._reminder_time(now))
            self.delivered = []

    def stop(self) -> None:
        """Finish the row in hand, put the rest of the batch back, and start no other run:
        a process asked to stop does so in moments, however many rows are due."""
        self.stopping = True

    async def job(self, context: Any = None) -> None:
        """The scheduler's entry point: one run, logged with counts only."""
        report = await self.run_once()
        if report.outcomes or report.recovered:
            log.info("check-ins: %s", report)

    # One row

    async def _handle(self, claimed: claims.Claimed) -> str:
        row, now = claimed.followup, self.clock()
        zone = zone_for(claimed.country, claimed.time_zone)
        later = allowed(now, self.schedule, zone)
        if later != now:  # night there: wait for the morning
            async with self.store.unit() as unit:
                await claims.release(unit, row.id, later, now)
            return "waiting_for_morning"
        try:
            if row.status == checkins.PLANNED:
                return await self._first(claimed, zone, now)
            return await self._remind(claimed, zone, now)
        except Conflict:  # the person began another conversation meanwhile
            async with self.store.unit() as unit:
                await claims.release(
                    unit, row.id, allowed(now + BUSY_RETRY, self.schedule, zone), now
                )
            return "busy"

    async def _first(self, claimed: claims.Claimed, zone: ZoneInfo, now: datetime) -> str:
        row = claimed.followup
        flow = self.followups.checkin(row.checkin).flow
        async with self.store.unit() as unit:
            if await sessions.busy_elsewhere(unit, claimed.person_id, row.id):
                if now - row.planned_for >= timedelta(hours=self.schedule.busy_wait_hours):
                    await self._give_up(
                        unit, claimed, checkins.FAILED, "busy", flags.FOLLOWUP_FAILED, now
                    )
                    return "failed"
                later = allowed(now + BUSY_RETRY, self.schedule, zone)
                await claims.release(unit, row.id, later, now)
                return "busy"
            if not await claims.start_sending(unit, claimed, now, row.attempts + 1, row.reminders):
                return "lease_lost"
            if row.attempts:  # an earlier attempt failed: its conversation goes
                await sessions.end_checkins(unit, followup_id=row.id)
            transition = await self.intake.open_checkin(unit, claimed.person_id, flow, row.id, now)
        return await self._send(claimed, zone, list(transition.events), first=True)

    async def _remind(self, claimed: claims.Claimed, zone: ZoneInfo, now: datetime) -> str:
        row = claimed.followup
        flow = self.followups.checkin(row.checkin).flow
        async with self.store.unit() as unit:
            session = await sessions.of_checkin(unit, row.id)
            if session is None:  # the person stopped this check-in (/cancel)
                await self._give_up(unit, claimed, checkins.CANCELLED, "person", None, now)
                return "cancelled"
            state = Session.from_dict(session.state)
            if row.reminders >= self.schedule.max_reminders:
                await self._give_up(
                    unit,
                    claimed,
                    checkins.NO_REPLY,
                    None,
                    flags.NO_REPLY,
                    now,
                    answers=state.answers,
                )
                return "no_reply"
            started = await claims.start_sending(
                unit, claimed, now, row.attempts + 1, row.reminders + 1
            )
            if not started:
                return "lease_lost"
        items: list[Item] = [CheckinReminder(), *engine.current(flow, state, now)]
        return await self._send(claimed, zone, items, first=False)

    async def _send(
        self, claimed: claims.Claimed, zone: ZoneInfo, items: list[Item], *, first: bool
    ) -> str:
        row = claimed.followup
        delivery = await self.sender.send(claimed.telegram_id, Reply(claimed.language, items))
        match delivery.outcome:
            case Outcome.SENT:
                self.delivered.append(row.id)  # marked sent with the rest of the batch
                return "sent" if first else "reminded"
            case Outcome.RATE_LIMITED:
                self.paused_until = self.clock() + timedelta(seconds=delivery.retry_after)
                log.warning(
                    "Telegram asked to wait %.0f s before sending more", delivery.retry_after
                )
                await self._undo(claimed, first, self.paused_until, count_attempt=False)
                return "rate_limited"
            case Outcome.BLOCKED:
                async with self.store.unit() as unit:
                    await self._blocked(unit, claimed, first, self.clock())
                return "blocked"
            case Outcome.REFUSED:  # Telegram will never take this message: no retry
                log.warning("check-in %s refused: %s", row.id, delivery.error)
                async with self.store.unit() as unit:
                    await self._give_up(
                        unit,
                        claimed,
                        checkins.FAILED,
                        "refused",
                        flags.FOLLOWUP_FAILED,
                        self.clock(),
                    )
                return "failed"
            case Outcome.NETWORK_ERROR:  # 5xx, timeouts
                return await self._retry(claimed, zone, first, delivery.error)
            case _:
                assert_never(delivery.outcome)

    async def _retry(self, claimed: claims.Claimed, zone: ZoneInfo, first: bool, error: str) -> str:
        """A failure that may pass: again later with exponential backoff, up to a limit."""
        row = claimed.followup
        attempts = row.attempts + 1
        log.warning("check-in %s not sent (attempt %d): %s", row.id, attempts, error)
        if attempts >= self.schedule.max_attempts:
            async with self.store.unit() as unit:
                await self._give_up(
                    unit, claimed, checkins.FAILED, "network", flags.FOLLOWUP_FAILED, self.clock()
                )
            return "failed"
        delay = self.schedule.retry_delay_seconds * 2 ** max(attempts - 1, 0)
        retry_at = allowed(self.clock() + timedelta(seconds=delay), self.schedule, zone)
        await self._undo(claimed, first, retry_at, count_attempt=True)
        return "retry"

    # Outcomes

    async def _undo(
        self, claimed: claims.Claimed, first: bool, retry_at: datetime, *, count_attempt: bool
    ) -> None:
        """The send failed: back to where it was, to try again at `retry_at`."""
        row, now = claimed.followup, self.clock()
        attempts = row.attempts + 1 if count_attempt else row.attempts
        async with self.store.unit() as unit:
            if first:
                await sessions.end_checkins(unit, followup_id=row.id)
                await checkins.update_row(
                    unit, row.id, now, status=checkins.PLANNED, attempts=attempts,
                    due_at=retry_at, claimed_until=None,
                )  # fmt: skip
            else:
                await checkins.update_row(
                    unit, row.id, now, status=checkins.SENT, reminders=row.reminders,
                    attempts=attempts, due_at=retry_at, claimed_until=None,
                )  # fmt: skip

    async def _blocked(
        self, unit: Unit, claimed: claims.Claimed, first: bool, now: datetime
    ) -> None:
        """403: the person blocked the bot. Nothing more goes to them until they come back:
        this check-in waits, planned, with the others (bot/service.py's `_came_back` sends
        them then, or cancels those whose time has passed); the case says why."""
        row = claimed.followup
        waits = checkins.PLANNED if first else checkins.SENT  # a reminder waits as one
        await checkins.update_row(unit, row.id, now, status=waits, claimed_until=None)
        await sessions.end_checkins(unit, person_id=claimed.person_id)
        if await cases.add_flag(unit, row.pre_registration_id, flags.UNREACHABLE):
            await self.intake.raised(unit, row.pre_registration_id, [flags.UNREACHABLE], now)
        await people.mark_unreachable(unit, claimed.person_id, now)
        await audit.record(
            unit, "checkin.paused", now, pre_registration_id=row.pre_registration_id,
            checkin=row.checkin, reason=checkins.BLOCKED,
        )  # fmt: skip

    async def _give_up(
        self,
        unit: Unit,
        claimed: claims.Claimed,
        status: str,
        reason: str | None,
        flag: str | None,
        now: datetime,
        answers: dict[str, Any] | None = None,
    ) -> None:
        row = claimed.followup
        values: dict[str, Any] = {"status": status, "reason": reason, "claimed_until": None}
        if answers:
            values["answers"] = answers
        await checkins.update_row(unit, row.id, now, **values)
        await sessions.end_checkins(unit, followup_id=row.id)
        if flag is not None and await cases.add_flag(unit, row.pre_registration_id, flag):
            await self.intake.raised(unit, row.pre_registration_id, [flag], now)
        await audit.record(
            unit,
            f"followup.{status}",
            now,
            pre_registration_id=row.pre_registration_id,
            checkin=row.checkin,
            reason=reason,
        )

    async def _release_all(self, claimed: list[claims.Claimed], until: datetime) -> None:
        now = self.clock()
        async with self.store.unit() as unit:
            for row in claimed:
                await claims.release(unit, row.followup.id, max(until, row.followup.due_at), now)

    def _reminder_time(self, now: datetime) -> datetime:
        return now + timedelta(hours=self.schedule.reminder_after_hours)
