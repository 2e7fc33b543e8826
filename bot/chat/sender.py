"""The one way a message reaches a person: a reply planned as Bot API calls (`Post`s:
send, or edit the tapped message), made in order, and Telegram's answer turned into a
`Delivery` the caller decides on.

Every message to a person leaves through here: the chat's replies through the durable
outbox (bot/delivery/outbox.py), which keeps the planned calls until they are made; the
check-ins, the dashboard's messages and questions asked again, and the retention job's
reminder directly. Callers keep their own policy (retry, give up, mark the person
unreachable); the sender only says what happened.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.chat.outgoing import MESSAGE_LIMIT, Markup, Outgoing
from bot.chat.render import Renderer
from bot.replies import Reply, Tap

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


@dataclass(frozen=True)
class Post:
    """One Bot API call that shows the person something: a new message (`message_id`
    None), or an edit of one of theirs: its text, or only its buttons when `text` is None."""

    chat_id: int
    text: str | None
    markup: Markup | None = None
    message_id: int | None = None


class Sender:
    """Renders replies and delivers them through one PTB bot."""

    def __init__(self, renderer: Renderer, bot: Bot) -> None:
        self.renderer = renderer
        self.bot = bot

    async def send(self, chat_id: int, reply: Reply) -> Delivery:
        """Send a reply as new messages (no tapped message to edit)."""
        return await self.perform(self.plan(chat_id, reply))

    async def send_text(self, chat_id: int, text: str) -> Delivery:
        """Send a text written elsewhere (a caseworker's message)."""
        return await self.perform([Post(chat_id, piece.text) for piece in split(Outgoing(text))])

    def plan(self, chat_id: int, reply: Reply, tap: Tap | None = None) -> list[Post]:
        """The calls that show a reply. After a tap, the tapped question shows the answer,
        or loses its buttons when nothing else shows the tap was read."""
        outgoing = self.renderer.render(reply, tap.key if tap is not None else None)
        posts: list[Post] = []
        for out in (piece for message in outgoing for piece in split(message)):
            if not _edits(out):
                posts.append(Post(chat_id, out.text, out.markup))
            elif tap is not None:
                posts.append(_edit(chat_id, tap, out))
        if tap is not None and tap.has_buttons and not any(map(_edits, outgoing)):
            posts.append(Post(chat_id, None, None, tap.message_id))
        return posts

    async def perform(self, posts: list[Post]) -> Delivery:
        """Make the calls in order; a failure stops the ones after it."""
        for post in posts:
            try:
                if post.message_id is None:
                    assert post.text is not None
                    await self.bot.send_message(post.chat_id, post.text, reply_markup=post.markup)
                elif post.text is None:
                    await self._edited(
                        self.bot.edit_message_reply_markup(
                            post.chat_id, post.message_id, reply_markup=_inline(post.markup)
                        )
                    )
                else:
                    await self._edited(
                        self.bot.edit_message_text(
                            post.text,
                            post.chat_id,
                            post.message_id,
                            reply_markup=_inline(post.markup),
                        )
                    )
            except TelegramError as error:
                return _failure(error)
        return SENT

    async def acknowledge(self, query: CallbackQuery, toast: str | None = None) -> Delivery:
        """Answer a button tap (the client stops its spinner), with a toast if given."""
        try:
            await query.answer(toast)
        except TelegramError as error:
            log.info("could not answer a button tap: %s", type(error).__name__)
            return _failure(error)
        return SENT

    async def _edited(self, edit: Awaitable[object]) -> None:
        """An edit Telegram refuses (e.g. "message is not modified" after a double tap)
        changes nothing for the person: logged, not a failure."""
        try:
            await edit
        except BadRequest as error:
            log.info("could not edit message: %s", type(error).__name__)


def _edit(chat_id: int, tap: Tap, out: Outgoing) -> Post:
    """The tapped question, edited: new buttons, or the answer under the question."""
    if out.markup_only:
        return Post(chat_id, None, out.markup, tap.message_id)
    if len(text := f"{tap.text}\n\n{out.text}") <= MESSAGE_LIMIT:
        return Post(chat_id, text, None, tap.message_id)
    return Post(chat_id, None, None, tap.message_id)  # no room for the answer: buttons go


def _inline(markup: Markup | None) -> InlineKeyboardMarkup | None:
    """Only inline buttons can be edited onto a message."""
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


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
        return Delivery(Outcome.RATE_LIMITED, retry_seconds(error.retry_after), name)
    if isinstance(error, Forbidden):
        return Delivery(Outcome.BLOCKED, error=name)
    if isinstance(error, BadRequest):
        return Delivery(Outcome.REFUSED, error=name)
    return Delivery(Outcome.NETWORK_ERROR, error=name)


def retry_seconds(value: int | float | timedelta) -> float:
    """RetryAfter.retry_after is seconds or a timedelta, depending on PTB's settings."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
