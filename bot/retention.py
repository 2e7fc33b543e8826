"""The daily retention job: erase what is no longer needed, remind unfinished intakes.

- Cases closed, rejected or withdrawn for longer than `retention_days` are erased, with
  their notes, messages and check-ins; so is a person left with nothing.
- An intake untouched for `abandoned_days` is erased (the consent notice promises it).
- An intake untouched for `unfinished_hours` gets one reminder.
- Every live case's anonymous statistics are computed again (a reconciliation).

Each run is audited with counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.chat.sender import Sender
from bot.replies import IntakeReminder, Reply
from bot.store import Store, audit, retention, statistics

log = logging.getLogger(__name__)
RECONCILE_BATCH = 200  # cases per transaction of the daily reconciliation (~0.3 s each)


@dataclass(frozen=True)
class Policy:
    retention_days: int = 365
    abandoned_days: int = 30
    unfinished_hours: int = 24


@dataclass
class Purge:
    """Counts of one run (or of what a dry run would do)."""

    cases: int = 0
    intakes: int = 0
    people: int = 0
    reminded: int = 0
    refreshed: int = 0  # cases whose statistics were checked again
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "would erase" if self.dry_run else "erased"
        return (
            f"{verb} {self.cases} case(s) over for longer than the retention period, "
            f"{self.intakes} abandoned intake(s), {self.people} person record(s); "
            f"reminded {self.reminded} unfinished intake(s)"
            + ("" if self.dry_run else f"; refreshed the statistics of {self.refreshed} case(s)")
        )


class Retention:
    def __init__(
        self,
        store: Store,
        policy: Policy,
        sender: Sender,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.policy = policy
        self.sender = sender
        self.clock = clock

    async def run(self, dry_run: bool = False, remind: bool = True) -> Purge:
        now = self.clock()
        cases_before = now - timedelta(days=self.policy.retention_days)
        intakes_before = now - timedelta(days=self.policy.abandoned_days)
        if dry_run:
            async with self.store.unit() as unit:
                cases, intakes = await retention.count_expired(unit, cases_before, intakes_before)
            return Purge(cases, intakes, dry_run=True)
        async with self.store.unit() as unit:
            cases, intakes, gone = await retention.erase_expired(unit, cases_before, intakes_before)
            await audit.record(unit, "retention.erased", now, actor="retention", cases=cases, intakes=intakes,
                people=gone,
            )  # fmt: skip
        await self.store.scrub()  # what was erased leaves the disk too
        # Every live case's statistics again: a change that missed its refresh heals daily.
        # Small batches: on SQLite each one holds the event loop while it runs.
        refreshed = await statistics.rebuild(self.store, RECONCILE_BATCH)
        report = Purge(cases, intakes, gone, refreshed=refreshed)
        if remind:
            report.reminded = await self._remind(now, intakes_before)
        log.info("retention: %s", report)
        return report

    async def job(self, context: Any = None) -> None:
        await self.run()

    async def _remind(self, now: datetime, not_before: datetime) -> int:
        before = now - timedelta(hours=self.policy.unfinished_hours)
        async with self.store.unit() as unit:
            waiting = await retention.unfinished(unit, before, not_before)
        reminded = 0
        for intake in waiting:
            reply = Reply(intake.language, [IntakeReminder(self.policy.abandoned_days)])
            delivery = await self.sender.send(intake.telegram_id, reply)
            if not delivery.sent:
                log.warning("intake reminder not delivered: %s", delivery.error)
                continue
            async with self.store.unit() as unit:
                await retention.mark_reminded(unit, intake.session_id, now)
            reminded += 1
        if reminded:
            async with self.store.unit() as unit:
                await audit.record(
                    unit, "retention.reminded", now, actor="retention", intakes=reminded
                )
        return reminded
