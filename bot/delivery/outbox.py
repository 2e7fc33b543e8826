"""The durable outbox: a reply is kept as rows in the transaction that decides it (the
service's `Journal`), sent after the commit, and removed once Telegram took it.

A crash between the commit and the send leaves the rows: on start, and every few seconds,
messages waiting longer than `AGE` are sent again. The person sees every question at least
once; at worst, after a crash, one twice. A failure Telegram may get over (a timeout, 5xx,
429) waits and is tried again, the chat's later messages behind it; one it will never take
(400) is dropped and logged; a person who blocked the bot gets nothing more.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.ext import ContextTypes

from bot.chat.outgoing import Markup
from bot.chat.sender import SENT, Delivery, Outcome, Post, Sender
from bot.replies import Reply, User
from bot.service import came_back
from bot.store import Store, Unit, inbox, outbox, people

log = logging.getLogger(__name__)

AGE = timedelta(seconds=5)  # a message waiting this long is someone else's to send again
LEASE = timedelta(seconds=60)  # how long a claim on a chat's messages holds
MAX_ATTEMPTS = 8  # tries of one message: about half an hour with the back-off
BATCH = 100  # chats sent again per round
RECENT = 10_000  # planned calls kept in memory, waiting to be sent


class Outbox:
    """Keeps replies with the transaction that decides them, and sends what waits."""

    def __init__(
        self,
        store: Store,
        sender: Sender,
        clock: Callable[[], datetime],
        worker: str = "",
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.worker = worker  # this process's name on its claims
        self._answered: set[int] = set()  # updates whose reply is committed, marking them
        self._recent: dict[int, Post] = {}  # stored by this process, not yet sent
        self._claimed: dict[int, list[outbox.Waiting]] = {}  # by update: stored claimed
        self.stopping = False

    async def keep(self, unit: Unit, user: User, reply: Reply, now: datetime) -> None:
        """The service's Journal: the reply's calls stored, the update marked handled."""
        if user.update_id is not None:
            await inbox.done(unit, user.update_id, now)
        posts = self.sender.plan(user.telegram_id, reply, user.tap)
        messages = [_message(post) for post in posts]
        if len(self._recent) > RECENT:  # sent by another process, or dropped: forget them
            self._recent.clear()
            self._claimed.clear()
        ahead, marked = (0, False)
        if user.update_id is not None:
            ahead, marked = await outbox.ahead(unit, user.telegram_id)
        if marked:
            # Someone marked as having stopped the bot just wrote (an old refusal marked
            # them, or their unblock update was lost): they are back, and what paused for
            # them goes on; else this reply would wait behind it for ever.
            await came_back(unit, user.telegram_id, now)
        if user.update_id is not None and not ahead:
            # Nothing ahead of them: stored claimed by this process, whose handler sends
            # them once this transaction commits (`flush`), with no claim of its own.
            ids = await outbox.add(unit, messages, now, (self.worker, now + LEASE))
            rows = [outbox.Waiting(i, m, 0) for i, m in zip(ids, messages, strict=True)]
            self._claimed[user.update_id] = rows
        else:
            ids = await outbox.add(unit, messages, now)
        # The calls as planned, to send without rebuilding them from their rows; checked
        # against the rows when sent (a rolled-back insert's id may be taken again).
        self._recent.update(zip(ids, posts, strict=True))

    def answered(self, update_id: int) -> bool:
        """Whether the update's reply was committed (and with it, the update marked
        handled): asked once per update, by the inbox."""
        if update_id in self._answered:
            self._answered.discard(update_id)
            return True
        return False

    async def flush(self, chat_id: int, update_id: int | None = None) -> Delivery:
        """Send a chat's waiting messages, in order: the first failure, or SENT.

        `update_id` is the update whose reply was just committed, if any. Nothing is sent
        while another process holds the chat's messages: it sends them, and those stored
        meanwhile, as it checks again before it lets go.
        """
        claimed = None
        if update_id is not None:
            if len(self._answered) > RECENT:  # not asked by an inbox (handled directly)
                self._answered.clear()
            self._answered.add(update_id)
            claimed = self._claimed.pop(update_id, None)
        first_failure = SENT
        while not self.stopping:
            if claimed is not None:  # committed with the reply: ours already
                waiting, claimed = claimed, None
            else:
                now = self.clock()
                async with self.store.unit() as unit:
                    waiting = await outbox.claim_chat(unit, chat_id, self.worker, now, now + LEASE)
            if not waiting:
                return first_failure
            delivery, more = await self._send(chat_id, waiting)
            if first_failure.sent:
                first_failure = delivery
            if not more or (not delivery.sent and delivery.outcome is not Outcome.REFUSED):
                return first_failure
        return first_failure

    def stop(self) -> None:
        """Send nothing more: a process asked to stop does so in moments, however many
        messages wait. What was not sent stays claimed by this process's name, for its next
        start (or another process, once the claim lapses)."""
        self.stopping = True

    async def release(self) -> None:
        """After a crash, before anything is handled: the claims an earlier run of this
        process left go (later, they would take this run's own), to be sent again."""
        async with self.store.unit() as unit:
            released = await outbox.release(unit, self.worker)
        if released:
            log.info("outbox: %d messages of an earlier run to send again", released)

    async def job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The job queue's regular call: send again what waited too long."""
        await self.send_waiting(AGE)

    async def send_waiting(self, age: timedelta) -> int:
        """Send the messages of chats whose oldest has waited `age`; how many chats."""
        if self.stopping:  # what waits stays for the next start
            return 0
        now = self.clock()
        async with self.store.unit() as unit:
            chats = await outbox.due_chats(unit, now - age, now, BATCH)
        for chat_id in chats:
            delivery = await self.flush(chat_id)
            if not delivery.sent:
                log.warning("outbox: a message waits (%s)", delivery.outcome.value)
        if chats:
            log.info("outbox: sent again to %d chats", len(chats))
        return len(chats)

    async def _send(self, chat_id: int, waiting: list[outbox.Waiting]) -> tuple[Delivery, bool]:
        """Make the calls in order; refused ones are dropped, the rest stop at a failure.
        Also says whether more messages were stored for the chat meanwhile."""
        done: list[int] = []
        failure = SENT
        for row in waiting:
            if self.stopping:
                break
            delivery = await self.sender.perform([self._post(row)])
            if delivery.outcome is Outcome.REFUSED:
                log.warning("outbox: Telegram refused a message (%s); dropped", delivery.error)
                failure = delivery if failure.sent else failure
            elif not delivery.sent:
                failure = delivery
                break
            done.append(row.id)
        rest = [row for row in waiting if row.id not in set(done)]
        now = self.clock()
        async with self.store.unit() as unit:
            await outbox.remove(unit, done)
            if failure.outcome is Outcome.BLOCKED and await people.find(unit, chat_id):
                # They may come back: what waits for them pauses, as when Telegram says so.
                await people.blocked(unit, chat_id, now)
                paused = await outbox.unclaim_chat(unit, chat_id)
                log.info("outbox: the person blocked the bot; %d messages wait for them", paused)
            elif failure.outcome is Outcome.BLOCKED:  # nobody kept to wait for
                dropped = await outbox.drop_chat(unit, chat_id)
                log.info("outbox: the bot is blocked in a chat; %d messages dropped", dropped)
            elif rest and not self.stopping:
                await self._wait(unit, rest, failure, now)
            more = bool(await outbox.unclaimed(unit, chat_id))
        return failure, more

    async def _wait(
        self, unit: Unit, rest: list[outbox.Waiting], failure: Delivery, now: datetime
    ) -> None:
        """Messages to try again later, or to give up on after MAX_ATTEMPTS."""
        attempts = rest[0].attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await outbox.remove(unit, [row.id for row in rest])
            log.warning("outbox: gave up on %d messages after %d tries", len(rest), attempts)
            return
        wait = max(failure.retry_after, 2.0 ** (attempts + 3))  # 16 s, 32 s, ... 17 min
        await outbox.postpone(unit, [row.id for row in rest], now + timedelta(seconds=wait))

    def _post(self, row: outbox.Waiting) -> Post:
        """The call a row stands for: as planned here if it was, else rebuilt from it."""
        message = row.message
        post = self._recent.pop(row.id, None)
        if post is not None and _message(post) == message:
            return post
        return Post(
            message.chat_id, message.text, markup_from_dict(message.markup), message.message_id
        )


def _message(post: Post) -> outbox.Message:
    markup = post.markup
    data: dict[str, Any] | None
    if isinstance(markup, InlineKeyboardMarkup):
        data = _inline_dict(markup)  # most people at a question get the same keyboard
    else:
        data = markup.to_dict() if markup is not None else None
    return outbox.Message(post.chat_id, post.text, data, post.message_id)


@functools.lru_cache(maxsize=4096)
def _inline_dict(markup: InlineKeyboardMarkup) -> dict[str, Any]:
    """A keyboard as stored; keyboards compare and hash by their buttons."""
    return markup.to_dict()


def markup_from_dict(data: dict[str, Any] | None) -> Markup | None:
    """Buttons as stored (or as the Bot API takes them), as PTB's objects."""
    if data is None:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, None)
    return ReplyKeyboardRemove.de_json(data, None)
