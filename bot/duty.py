"""Duty notifications: a red flag on a case reaches a caseworker's own Telegram chat, and
every morning a digest of what waits on them.

Who is told of a red flag: the caseworker the case is assigned to, if their chat is
linked; otherwise the duty officer (the account named by INTAKE_DUTY_OFFICER), if theirs
is; otherwise nobody, and the audit log says so. The message is an outbox row queued in
the transaction that raises the flag: it is sent with the guarantees of every reply, and
never for a flag that was rolled back. It holds the case's reference, the flag and a link
to the case, nothing about the person.

A staff account links its chat with a one-time code shown in the dashboard, sent to the
bot as `/link CODE` (or by the link t.me/<bot>?start=staff-CODE). Only the code's hash
is kept; it is gone once used and worthless after a few minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import flags
from bot.i18n import Catalogs, Translator
from bot.replies import Reply, StaffLinked, StaffLinkRefused, User
from bot.service import Journal
from bot.store import Conflict, Store, Unit, accounts, assignment, audit, cases, outbox, staff_chats
from bot.store.staff_chats import StaffChatRecord

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
CODE_LIFETIME = timedelta(minutes=10)
STAFF_START = "staff-"  # a /start argument that is a staff link code, not an outreach code
LISTED = 20  # references a digest names under one heading; the rest are counted
ASSIGNEE, DUTY_OFFICER = "assignee", "duty_officer"
_ATTEMPTS = 3


@dataclass(frozen=True)
class Code:
    """A link code as the dashboard shows it."""

    code: str
    expires_at: datetime


class Duty:
    """Staff chats: linking them, red flags and the daily digest sent to them."""

    def __init__(
        self,
        store: Store,
        catalogs: Catalogs,
        clock: Clock,
        journal: Journal,
        *,
        dashboard_url: str | None = None,
        duty_officer: str | None = None,
        digest_hour: int = 8,
        zone: str = "Africa/Casablanca",
        overdue_days: int = 3,
    ) -> None:
        self.store = store
        self.catalogs = catalogs
        self.clock = clock
        self.journal = journal  # where the bot's answer to /link waits, with the update
        self.dashboard_url = dashboard_url.rstrip("/") if dashboard_url else None
        self.duty_officer = duty_officer
        self.digest_hour = digest_hour
        self.zone = ZoneInfo(zone)
        self.overdue = timedelta(days=overdue_days)

    # The dashboard's side: a code to link, and unlinking.

    async def new_code(self, account_id: int, actor: str) -> Code:
        """A code for the account to send the bot; any earlier one stops working."""
        now = self.clock()
        code = staff_chats.new_code()
        async with self.store.unit() as unit:
            await staff_chats.issue(unit, account_id, code, now + CODE_LIFETIME)
            await audit.record(unit, "staff_chat.code_shown", now, actor=actor,
                               account_id=account_id)  # fmt: skip
        return Code(code, now + CODE_LIFETIME)

    async def linked_at(self, account_id: int) -> datetime | None:
        async with self.store.unit() as unit:
            return await staff_chats.linked_at(unit, account_id)

    async def unlink(self, account_id: int, actor: str) -> bool:
        """The account's chat gets nothing more; whether one was linked."""
        now = self.clock()
        async with self.store.unit() as unit:
            unlinked = await staff_chats.unlink(unit, account_id)
            if unlinked:
                await audit.record(unit, "staff_chat.unlinked", now, actor=actor,
                                   account_id=account_id)  # fmt: skip
        return unlinked

    # The bot's side: the code sent from a private chat.

    async def link(self, user: User, code: str) -> Reply:
        """`/link CODE`: the chat is linked to the code's account, answered in the
        account's language; a wrong, used or expired code changes nothing."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self.store.unit() as unit:
                    return await self._link(unit, user, code)
            except Conflict:  # the same code sent twice at once: the second finds it used
                if attempt == _ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def _link(self, unit: Unit, user: User, code: str) -> Reply:
        now = self.clock()
        account_id = await staff_chats.redeem(unit, code, now)
        account = await accounts.by_id(unit, account_id) if account_id is not None else None
        if account is None or not account.active:  # a wrong code, or a deactivated account
            await audit.record(unit, "staff_chat.link_refused", now)
            reply = Reply(self.catalogs.negotiate(user.language_code), [StaffLinkRefused()])
        else:
            await staff_chats.link(unit, account.id, user.telegram_id, now)
            await audit.record(unit, "staff_chat.linked", now, actor=account.username,
                               account_id=account.id)  # fmt: skip
            reply = Reply(account.language, [StaffLinked(account.username)])
        await self.journal.keep(unit, user, reply, now)
        return reply

    # Red flags, in the transaction that raises them.

    async def flagged(self, unit: Unit, case_id: int, names: Iterable[str], now: datetime) -> int:
        """Tell the case's caseworker, or the duty officer, of the red flags among `names`
        (raised in this transaction); how many messages were queued."""
        red = [name for name in dict.fromkeys(names) if name in flags.RED]
        if not red:
            return 0
        case = await cases.by_id(unit, case_id)
        if case is None:
            return 0
        chat, role = await self._recipient(unit, case_id)
        if chat is None:
            for name in red:
                await audit.record(unit, "duty.nobody_linked", now,
                                   pre_registration_id=case_id, flag=name)  # fmt: skip
            return 0
        tr = self.catalogs.translator(chat.language)
        texts = [self._flag_text(tr, case.reference, name) for name in red]
        await outbox.add(unit, [outbox.Message(chat.chat_id, text) for text in texts], now)
        for name in red:
            await audit.record(unit, "duty.notified", now, pre_registration_id=case_id,
                               flag=name, account_id=chat.account_id, why=role)  # fmt: skip
        return len(texts)

    async def _recipient(
        self, unit: Unit, case_id: int
    ) -> tuple[StaffChatRecord | None, str | None]:
        assigned = await assignment.assignee(unit, case_id)
        if assigned is not None and (chat := await staff_chats.chat_of(unit, assigned)):
            return chat, ASSIGNEE
        if self.duty_officer:
            officer = await staff_chats.account_id_of(unit, self.duty_officer)
            if officer is not None and (chat := await staff_chats.chat_of(unit, officer)):
                return chat, DUTY_OFFICER
        return None, None

    def _flag_text(self, tr: Translator, reference: str, name: str) -> str:
        known = flags.BY_NAME.get(name)
        label = tr.gettext(known.label) if known is not None else name
        text = tr.gettext("Red flag on case {reference}: {flag}.", reference=reference, flag=label)
        return f"🔴 {text}\n{self._case_link(reference)}".rstrip()

    def _case_link(self, reference: str) -> str:
        return f"{self.dashboard_url}/cases/{reference}" if self.dashboard_url else ""

    # The daily digest.

    async def job(self, context: object) -> None:
        """The job queue's regular call: the day's digests, once it is the hour."""
        await self.send_digests()

    async def send_digests(self) -> int:
        """Queue the day's digest of every linked account that has not had it, once the
        office's clock passed the digest hour; how many were queued."""
        now = self.clock()
        local = now.astimezone(self.zone)
        if local.hour < self.digest_hour:
            return 0
        async with self.store.unit() as unit:
            due = await staff_chats.digest_due(unit, local.date())
        queued = 0
        for account_id in due:
            async with self.store.unit() as unit:  # one account at a time: one claim each
                queued += await self._digest(unit, account_id, local.date(), now)
        if queued:
            log.info("duty: %d daily digests queued", queued)
        return queued

    async def _digest(self, unit: Unit, account_id: int, day: date, now: datetime) -> int:
        chat = await staff_chats.claim_digest(unit, account_id, day)
        if chat is None:
            return 0
        overdue = await staff_chats.overdue(unit, account_id, now - self.overdue)
        unread = await staff_chats.unread(unit, account_id)
        await audit.record(unit, "duty.digest", now, account_id=account_id,
                           overdue=len(overdue), unread=len(unread))  # fmt: skip
        if not overdue and not unread:
            return 0  # nothing waits: the day is marked, and nobody is woken for nothing
        tr = self.catalogs.translator(chat.language)
        text = self._digest_text(tr, day, overdue, unread)
        await outbox.add(unit, [outbox.Message(chat.chat_id, text)], now)
        return 1

    def _digest_text(
        self, tr: Translator, day: date, overdue: list[str], unread: list[tuple[str, int]]
    ) -> str:
        lines = [tr.gettext("Your cases on {day}:", day=tr.date(day))]
        if overdue:
            days = self.overdue.days
            lines += ["", tr.gettext("Overdue (waiting on the office for more than {days} days): {count}",
                                     days=days, count=len(overdue))]  # fmt: skip
            lines += [f"• {reference}" for reference in overdue[:LISTED]]
            lines += _more(tr, len(overdue))
        if unread:
            total = sum(count for _reference, count in unread)
            lines += ["", tr.gettext("Unread messages from people: {count}", count=total)]
            lines += [f"• {reference} ({count})" for reference, count in unread[:LISTED]]
            lines += _more(tr, len(unread))
        if self.dashboard_url:
            lines += ["", f"{self.dashboard_url}/"]
        return "\n".join(lines)


def _more(tr: Translator, count: int) -> list[str]:
    return [tr.gettext("and {count} more", count=count - LISTED)] if count > LISTED else []
