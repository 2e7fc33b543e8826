"""Telegram handlers: translate an update into a service call, render the reply, send it."""

from __future__ import annotations

import logging
import traceback

from telegram import BotCommand, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import intake, replies
from bot.chat import callbacks
from bot.chat.render import Renderer
from bot.chat.sender import Sender
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

    def __init__(self, service: intake.Intake, renderer: Renderer, sender: Sender) -> None:
        self.service = service
        self.renderer = renderer
        self.sender = sender

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
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
        }
        # Button taps are most updates: their handler is checked first.
        app.add_handler(CallbackQueryHandler(self.on_button))
        for name, callback in commands.items():
            app.add_handler(CommandHandler(name, callback, filters=private))
        app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, self.on_edited))
        app.add_handler(MessageHandler(private & filters.COMMAND, self.on_help))
        app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, self.on_message))
        app.add_error_handler(self.on_error)

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: begin an intake, or offer to continue the open one."""
        await self._send(update, await self.service.start(_user(update)))

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
        user = _user(update)
        if data is None:
            log.warning("ignored unknown callback data (update %s)", update.update_id)
            await self.sender.acknowledge(query)
            return
        if isinstance(data, callbacks.CommandData):
            reply = await self._command(user, data)
            tapped = None
        else:
            reply = await self.service.answer(
                user, ChoiceInput(data.key, data.revision, data.value)
            )
            tapped = data.key
        if any(isinstance(i, Ignored) for i in reply.items):
            log.warning("ignored button not offered by this question (update %s)", update.update_id)
        await self._send(update, reply, tapped=tapped)

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
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        user = update.effective_user
        language = self.renderer.catalogs.negotiate(user.language_code if user else None)
        if update.callback_query is not None:
            await self.sender.acknowledge(update.callback_query)
        await self._apologise(update.update_id, update.effective_chat.id, language)

    async def _send(self, update: Update, reply: replies.Reply, tapped: str | None = None) -> None:
        """Deliver the reply; a tap is acknowledged (with its toast) and its question edited."""
        chat = update.effective_chat
        if chat is None:
            return
        delivery = await self.sender.answer(
            chat.id, reply, tapped=tapped, query=update.callback_query
        )
        if not delivery.sent:  # as for any failed update: say so, if Telegram lets us
            log.warning(
                "reply to update %s not delivered (%s): %s",
                update.update_id,
                delivery.outcome.value,
                delivery.error,
            )
            await self._apologise(update.update_id, chat.id, reply.language)

    async def _apologise(self, update_id: int, chat_id: int, language: str) -> None:
        sorry = replies.Reply(language, [replies.Apology()])
        delivery = await self.sender.send(chat_id, sorry)
        if not delivery.sent:
            log.warning("could not apologise for update %s: %s", update_id, delivery.error)


def _user(update: Update) -> replies.User:
    user = update.effective_user
    assert user is not None
    return replies.User(user.id, user.language_code)


def to_input(message: Message) -> Input:
    """The engine input a message carries."""
    if message.text is not None:
        return TextInput(message.text)
    if message.contact is not None:
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
