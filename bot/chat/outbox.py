"""The one way a message reaches a person: render the reply, edit the tapped message or
send, and turn Telegram's answer into a `Delivery` the caller decides on.

Every message to a person leaves through here: the chat's replies (and its apology), the
check-ins, the dashboard's messages and questions asked again, and the retention job's
reminder. Callers keep their own policy (retry, give up, mark the person unreachable); the
outbox only says what happened.

A durable outbox (replies recorded as pending rows in the transaction that decides them,
sent after it commits, then marked sent) belongs here and nowhere else; today the outbox
sends at once and keeps nothing.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.chat.outgoing import MESSAGE_LIMIT, Outgoing
from bot.chat.render import Renderer
from bot.replies import Reply

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the person blocked the bot
    RATE_LIMITED = "rate_limited"  # 429: Telegram says how long to wait
    REFUSED = "refused"  # 400: Telegram will never take this message
    NETWORK_ERROR = "network_error"  # 5xx, timeouts, any other failure: may pass later


@dataclass(frozen=True)
class Delivery:
    """What became of a reply; a failure stops the messages after it."""

    outcome: Outcome
    retry_after: float = 0.0  # seconds, when RATE_LIMITED
    error: str = ""  # the Telegram error's type: its text can quote the message

    @property
    def sent(self) -> bool:
        return self.outcome is Outcome.SENT


SENT = Delivery(Outcome.SENT)


class Outbox:
    """Renders replies and delivers them through one PTB bot."""

    def __init__(self, renderer: Renderer, bot: Bot) -> None:
        self.renderer = renderer
        self.bot = bot

    async def send(self, chat_id: int, reply: Reply) -> Delivery:
        """Send a reply as new messages (no tapped message to edit)."""
        return await self._deliver(chat_id, self.renderer.render(reply), None)

    async def send_text(self, chat_id: int, text: str) -> Delivery:
        """Send a text written elsewhere (a caseworker's message)."""
        return await self._deliver(chat_id, [Outgoing(text)], None)

    async def answer(
        self,
        chat_id: int,
        reply: Reply,
        *,
        tapped: str | None = None,
        query: CallbackQuery | None = None,
    ) -> Delivery:
        """Reply to the person's update; for a tap (`query`), acknowledge it with the reply's
        toast, show the answer on the tapped question or take its buttons away."""
        message = query.message if query is not None else None
        tapped_message = message if isinstance(message, Message) else None
        if query is not None:
            # A tap too old to acknowledge still gets its reply: the answer is recorded.
            await self.acknowledge(query, self.renderer.toast(reply))
        outgoing = self.renderer.render(reply, tapped)
        delivery = await self._deliver(chat_id, outgoing, tapped_message)
        if delivery.sent and tapped_message is not None and not any(map(_edits, outgoing)):
            return await self._drop_keyboard(tapped_message)
        return delivery

    async def acknowledge(self, query: CallbackQuery, toast: str | None = None) -> Delivery:
        """Answer a button tap (the client stops its spinner), with a toast if given."""
        try:
            await query.answer(toast)
        except TelegramError as error:
            log.info("could not answer a button tap: %s", type(error).__name__)
            return _failure(error)
        return SENT

    async def _deliver(
        self, chat_id: int, outgoing: list[Outgoing], tapped: Message | None
    ) -> Delivery:
        for out in (piece for message in outgoing for piece in split(message)):
            try:
                if _edits(out):
                    if tapped is not None:
                        await self._edit(tapped, out)
                else:
                    await self.bot.send_message(chat_id, out.text, reply_markup=out.markup)
            except TelegramError as error:
                return _failure(error)
        return SENT

    async def _drop_keyboard(self, message: Message) -> Delivery:
        """The tapped question's buttons go: nothing else showed the tap was read."""
        if message.reply_markup is None:
            return SENT
        try:
            await self._edited(message.edit_reply_markup(None))
        except TelegramError as error:
            return _failure(error)
        return SENT

    async def _edit(self, message: Message, out: Outgoing) -> None:
        if out.markup_only:
            assert isinstance(out.markup, InlineKeyboardMarkup)
            await self._edited(message.edit_reply_markup(out.markup))
        elif len(text := f"{message.text}\n\n{out.text}") <= MESSAGE_LIMIT:
            await self._edited(message.edit_text(text, reply_markup=None))
        else:  # no room to show the answer: the question just loses its buttons
            await self._edited(message.edit_reply_markup(None))

    async def _edited(self, edit: Awaitable[object]) -> None:
        """An edit Telegram refuses (e.g. "message is not modified" after a double tap)
        changes nothing for the person: logged, not a failure."""
        try:
            await edit
        except BadRequest as error:
            log.info("could not edit message: %s", type(error).__name__)


def split(message: Outgoing) -> list[Outgoing]:
    """Telegram takes at most 4096 characters a message: longer ones go in several, cut
    between lines, none blank, the buttons on the last."""
    if message.edit or message.markup_only or len(message.text) <= MESSAGE_LIMIT:
        return [message]
    chunks: list[str] = []
    for line in message.text.split("\n"):
        while len(line) > MESSAGE_LIMIT:  # a single line too long for one message
            chunks.append(line[:MESSAGE_LIMIT])
            line = line[MESSAGE_LIMIT:]
        if chunks and len(chunks[-1]) + 1 + len(line) <= MESSAGE_LIMIT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    # Telegram refuses a blank message, which would stop the pieces after it: none is sent.
    texts = [text for chunk in chunks if (text := chunk.strip("\n")).strip()]
    if not texts:  # nothing but blanks: let Telegram say what is wrong
        return [message]
    return [*(Outgoing(text) for text in texts[:-1]), Outgoing(texts[-1], message.markup)]


def _edits(out: Outgoing) -> bool:
    return out.edit or out.markup_only


def _failure(error: TelegramError) -> Delivery:
    """Telegram's error as an outcome; BadRequest is a NetworkError in PTB, so it goes first."""
    name = type(error).__name__
    if isinstance(error, RetryAfter):
        return Delivery(Outcome.RATE_LIMITED, _seconds(error.retry_after), name)
    if isinstance(error, Forbidden):
        return Delivery(Outcome.BLOCKED, error=name)
    if isinstance(error, BadRequest):
        return Delivery(Outcome.REFUSED, error=name)
    return Delivery(Outcome.NETWORK_ERROR, error=name)


def _seconds(value: int | float | timedelta) -> float:
    """RetryAfter.retry_after is seconds or a timedelta, depending on PTB's settings."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
