"""Telegram handlers: translate an update into a service call, then send what it decided.

The service keeps the reply in the outbox in its own transaction; the handler then
acknowledges a tap and has the chat's waiting messages sent (`flush`). Only private chats
are heard, each from its own person: an update from a group or channel, or a tap on a
message of another chat, changes nothing and sends nothing.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable

from telegram import BotCommand, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import intake, replies
from bot.appointments import Appointments, ButtonData
from bot.chat import callbacks
from bot.chat.render import Renderer
from bot.chat.sender import Delivery, Outcome, Sender
from bot.departures import ACTION as DEPARTURE
from bot.departures import Answers as DepartureAnswers
from bot.duty import STAFF_START, Duty
from bot.engine import (
    ChoiceInput,
    ContactInput,
    Ignored,
    Input,
    OtherInput,
    TextInput,
)

log = logging.getLogger(__name__)
MAX_TEXT = 1000
_OTHER_KINDS = (
    "sticker",
    "photo",
    "voice",
    "audio",
    "video",
    "video_note",
    "document",
    "animation",
    "location",
    "venue",
    "poll",
    "dice",
    "game",
)


class Chat:
    """The bot's handlers, bound to the intake service and the renderer."""

    def __init__(
        self,
        service: intake.Intake,
        renderer: Renderer,
        sender: Sender,
        flush: Callable[[int, int | None], Awaitable[Delivery]],
        appointments: Appointments | None = None,
        duty: Duty | None = None,
        departures: DepartureAnswers | None = None,
    ) -> None:
        self.service = service
        self.appointments = appointments
        self.duty = duty  # links staff chats (/link CODE), if staff notifications are on
        self.departures = departures  # answers to the question before a flight
        self.renderer = renderer
        self.sender = sender
        # Sends a chat's waiting messages, once the reply to an update is kept with it
        # (bot/delivery/outbox.py).
        self.flush = flush

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        app.add_handler(TypeHandler(Update, self.only_private), group=-1)
        private = filters.ChatType.PRIVATE
        commands = {
            "start": self.on_start,
            "language": self.on_language,
            "help": self.on_help,
            "cancel": self.on_cancel,
            "status": self.on_status,
            "mydata": self.on_mydata,
            "delete": self.on_delete,
            "stop": self.on_stop,
            "human": self.on_human,
            "link": self.on_link,
        }
        # Button taps are most updates: their handler is checked first.
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(ChatMemberHandler(self.on_member, ChatMemberHandler.MY_CHAT_MEMBER))
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback, filters=private))
        app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, self.on_edited))
        app.add_handler(MessageHandler(private & filters.COMMAND, self.on_help))
        app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, self.on_message))
        app.add_error_handler(self.on_error)

    async def only_private(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first: an update not from a person's own private chat goes no further."""
        if not is_own_private(update):
            log.info("ignored update %s: not from a private chat", update.update_id)
            raise ApplicationHandlerStop

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: begin an intake, or offer to continue the open one. `/start <code>`
        comes from an outreach link (t.me/<bot>?start=<code>)."""
        code = context.args[0] if context.args else None
        if code is not None and code.startswith(STAFF_START):  # a staff account's link
            await self._link(update, code.removeprefix(STAFF_START))
            return
        await self._send(update, await self.service.start(_user(update), code))

    async def on_link(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/link CODE: a staff account's chat, for its duty notifications; never an intake."""
        await self._link(update, "".join(context.args or ()))

    async def _link(self, update: Update, code: str) -> None:
        if self.duty is None:
            reply = await self.service.notice(_user(update), replies.Help())
        else:
            reply = await self.duty.link(_user(update), code)
        await self._send(update, reply)

    async def on_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """my_chat_member: the person blocked the bot ("kicked"), or let it write again."""
        change = update.my_chat_member
        assert change is not None
        status = change.new_chat_member.status
        user = _user(update)
        if status == ChatMemberStatus.BANNED:
            await self.service.stopped_bot(user)
        elif status == ChatMemberStatus.MEMBER and await self.service.came_back(user):
            delivery = await self.flush(user.telegram_id, None)  # what waited for them
            if not delivery.sent:
                log.info("messages to a person back (update %s) wait", update.update_id)

    async def on_language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/language: show the language buttons."""
        await self._send(update, await self.service.language_menu(_user(update)))

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help, and any unknown command."""
        reply = await self.service.notice(_user(update), replies.Help())
        await self._send(update, reply)

    async def on_cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel: ask to confirm stopping the open intake."""
        await self._send(update, await self.service.cancel(_user(update)))

    async def on_status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/status: references and their status."""
        await self._send(update, await self.service.status(_user(update)))

    async def on_mydata(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/mydata: everything stored about the person."""
        await self._send(update, await self.service.my_data(_user(update)))

    async def on_delete(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/delete: ask to confirm erasing everything."""
        await self._send(update, await self.service.delete(_user(update)))

    async def on_human(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/human: ask to talk to a person."""
        await self._send(update, await self.service.human(_user(update)))

    async def on_stop(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stop: no messages after return."""
        await self._send(update, await self.service.stop_followups(_user(update)))

    async def on_edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: answers already given stay as they are."""
        reply = await self.service.notice(_user(update), replies.EditIgnored())
        await self._send(update, reply)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Text, a shared contact, or anything else sent as an answer."""
        assert update.message is not None
        given = to_input(update.message)
        user = _user(update)
        if isinstance(given, TextInput) and len(given.text) > MAX_TEXT:
            reply = await self.service.notice(user, replies.TooLong())
        else:
            reply = await self.service.answer(user, given)
        await self._send(update, reply)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A tap on an inline button."""
        query = update.callback_query
        assert query is not None
        data = callbacks.decode(query.data)
        if data is None:
            log.warning("ignored unknown callback data (update %s)", update.update_id)
            await self.sender.acknowledge(query)
            return
        if isinstance(data, ButtonData):
            await self._appointment(update, data)
            return
        if isinstance(data, callbacks.CommandData):
            reply = await self._command(_user(update), data)
        else:
            user = _user(update, tapped=data.key)
            reply = await self.service.answer(
                user, ChoiceInput(data.key, data.revision, data.value)
            )
        if any(isinstance(i, Ignored) for i in reply.items):
            log.warning("ignored button not offered by this question (update %s)", update.update_id)
        await self._send(update, reply)

    async def _appointment(self, update: Update, data: ButtonData) -> None:
        """An answer to an appointment's invitation: kept with what the person is told,
        then sent."""
        query = update.callback_query
        assert query is not None
        user = _user(update)
        if self.appointments is None:
            await self.sender.acknowledge(query)
            return
        tapped = await self.appointments.tap(user, data)
        await self.sender.acknowledge(query, tapped.toast)
        if not tapped.kept:  # nothing changed: the inbox marks the update handled
            return
        delivery = await self.flush(user.telegram_id, update.update_id)
        if not delivery.sent:
            log.info("reply to update %s waits (%s)", update.update_id, delivery.outcome.value)

    async def _command(self, user: replies.User, data: callbacks.CommandData) -> replies.Reply:
        action, arg = data.action, data.argument
        if action == "lang" and arg in self.renderer.catalogs.languages:
            return await self.service.set_language(user, arg)
        if action == "resume" and arg in ("continue", "restart"):
            return await self.service.resume_choice(user, restart=arg == "restart")
        if action == "cancel" and arg in ("yes", "no"):
            return await self.service.cancel(user, confirmed=arg == "yes")
        if action == "delete" and arg in ("yes", "no"):
            return await self.service.delete(user, confirmed=arg == "yes")
        if action == "human" and arg == "yes":
            return await self.service.human(user)
        if action == "consent" and arg == "more":
            return await self.service.consent_details(user)
        if action == DEPARTURE and self.departures is not None:
            return await self.departures.answer(user, arg)
        log.warning("ignored an unknown command button")
        return replies.Reply(self.renderer.catalogs.default, [])

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a failed update, then apologise to the person.

        The log names the error type and the code path only: an exception's text can hold
        the update's content or SQL parameters, which are personal data.
        """
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        frames = "".join(traceback.format_tb(error.__traceback__)) if error else ""
        log.error("update %s failed: %s\n%s", update_id, type(error).__name__, frames.rstrip())
        if not isinstance(update, Update) or not is_own_private(update):
            return
        assert update.effective_chat is not None
        user = update.effective_user
        language = self.renderer.catalogs.negotiate(user.language_code if user else None)
        if update.callback_query is not None:
            await self.sender.acknowledge(update.callback_query)
        await self._apologise(update.update_id, update.effective_chat.id, language)

    async def _send(self, update: Update, reply: replies.Reply) -> None:
        """Acknowledge a tap (with the reply's toast), then send what waits for the chat."""
        if update.callback_query is not None:
            # A tap too old to acknowledge still gets its reply: the answer is recorded.
            await self.sender.acknowledge(update.callback_query, self.renderer.toast(reply))
        chat = _user(update).telegram_id
        delivery = await self.flush(chat, update.update_id)
        if delivery.outcome is Outcome.REFUSED:  # lost for good: say so, if Telegram lets us
            log.warning("reply to update %s refused: %s", update.update_id, delivery.error)
            await self._apologise(update.update_id, chat, reply.language)
        elif not delivery.sent:  # it waits in the outbox, to be sent again
            log.info("reply to update %s waits (%s)", update.update_id, delivery.outcome.value)

    async def _apologise(self, update_id: int, chat_id: int, language: str) -> None:
        sorry = replies.Reply(language, [replies.Apology()])
        delivery = await self.sender.send(chat_id, sorry)
        if not delivery.sent:
            log.warning("could not apologise for update %s: %s", update_id, delivery.error)


def is_own_private(update: Update) -> bool:
    """Whether the update comes from a private chat with its own sender: the only place
    the bot speaks about a person."""
    chat, user = update.effective_chat, update.effective_user
    return (
        chat is not None
        and user is not None
        and chat.type == ChatType.PRIVATE
        and chat.id == user.id
    )


def _user(update: Update, tapped: str | None = None) -> replies.User:
    """Who wrote, the update, and the message whose button they tapped (if a tap)."""
    user = update.effective_user
    assert user is not None
    tap = None
    query = update.callback_query
    if query is not None and isinstance(message := query.message, Message):
        has_buttons = message.reply_markup is not None
        tap = replies.Tap(tapped, message.message_id, message.text or "", has_buttons)
    return replies.User(user.id, user.language_code, update.update_id, tap)


def to_input(message: Message) -> Input:
    """The engine input a message carries."""
    if message.text is not None:
        return TextInput(message.text)
    if message.contact is not None:
        sender = message.from_user
        if sender is None or message.contact.user_id != sender.id:
            # Someone else's card: their number goes no further than this update.
            return ContactInput("", own=False)
        phone = message.contact.phone_number
        return ContactInput(phone if phone.startswith("+") else f"+{phone}")
    kind = next((k for k in _OTHER_KINDS if getattr(message, k, None)), "other")
    return OtherInput(kind)


async def register_commands(app: Application, renderer: Renderer) -> None:  # type: ignore[type-arg]
    """setMyCommands in every language; a failure is logged and the bot carries on."""
    for language in (None, *renderer.catalogs.languages):
        commands = renderer.commands(language or renderer.catalogs.default)
        try:
            await app.bot.set_my_commands(
                [BotCommand(name, text) for name, text in commands], language_code=language
            )
        except TelegramError as error:
            log.warning("could not register bot commands (%s): %s", language, error)
