"""The sender: replies split to Telegram's size, and Telegram's answers as outcomes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from telegram import Bot, Update

from bot import replies
from bot.app import Runtime
from bot.chat.office import Office
from bot.chat.outgoing import MESSAGE_LIMIT, Outgoing, buttons
from bot.chat.render import Renderer
from bot.chat.sender import Delivery, Outcome, Sender, split
from bot.chat.transport import OFFLINE_TOKEN, TIMEOUT, OfflineBotAPI
from bot.config import ROOT
from bot.conversations import load_flows
from bot.i18n import Catalogs

PERSON = 4242
FLOW = load_flows(ROOT / "conversations", ("fr", "en"))["intake"]
RENDERER = Renderer(Catalogs(ROOT / "locales", "fr"), FLOW, Office("OIM Rabat"))


@pytest.fixture
async def sender(api: OfflineBotAPI) -> AsyncIterator[Sender]:
    bot = Bot(OFFLINE_TOKEN, request=api)
    await bot.initialize()
    yield Sender(RENDERER, bot)
    await bot.shutdown()


@pytest.mark.parametrize(
    ("status", "description", "expected"),
    [
        (403, "Forbidden: bot was blocked by the user", Delivery(Outcome.BLOCKED, 0, "Forbidden")),
        (400, "Bad Request: chat not found", Delivery(Outcome.REFUSED, 0, "BadRequest")),
        (
            429,
            "Too Many Requests: retry after 30",
            Delivery(Outcome.RATE_LIMITED, 30, "RetryAfter"),
        ),
        (502, "Bad Gateway", Delivery(Outcome.NETWORK_ERROR, 0, "NetworkError")),
        (TIMEOUT, "", Delivery(Outcome.NETWORK_ERROR, 0, "TimedOut")),
    ],
)
async def test_telegram_errors_become_outcomes(
    sender: Sender, api: OfflineBotAPI, status: int, description: str, expected: Delivery
) -> None:
    api.fail("sendMessage", status, description, retry_after=30 if status == 429 else None)
    assert await sender.send(PERSON, replies.Reply("en", [replies.Help()])) == expected
    assert api.messages(PERSON) == []
    assert (await sender.send_text(PERSON, "Hello")).sent  # the fault was for one call only


async def test_a_failure_stops_the_messages_after_it(sender: Sender, api: OfflineBotAPI) -> None:
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    reply = replies.Reply("en", [replies.KeepGoing(), replies.Help()])
    assert (await sender.send(PERSON, reply)).outcome is Outcome.BLOCKED
    assert api.messages(PERSON) == []


async def test_a_long_text_goes_in_several_messages(sender: Sender, api: OfflineBotAPI) -> None:
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(100))
    assert (await sender.send_text(PERSON, text)).sent
    sent = [m.text for m in api.messages(PERSON)]
    assert len(sent) == 3 and all(len(t) <= MESSAGE_LIMIT for t in sent)
    assert "\n".join(sent) == text


@pytest.mark.parametrize(
    "text",
    [
        "z" * 10_000,  # one line, cut where it must be
        "a" * 4096 + "\n\n" + "b" * 4096,  # a blank line falls between two pieces
        "a" * 4000 + "\n" + " " * 200 + "\n" + "b" * 4000 + "\n\n",  # a line of spaces, too
        "\n".join(f"{n}. " + "w" * (n * 37 % 500) for n in range(200)),
    ],
    ids=["one-line", "blank-line-between", "spaces-between", "many-lines"],
)
async def test_every_piece_of_a_long_reply_passes_telegram_limits(
    sender: Sender, api: OfflineBotAPI, text: str
) -> None:
    """The offline API refuses what Telegram refuses (a blank or a too long message)."""
    assert (await sender.send_text(PERSON, text)).sent
    sent = [m.text for m in api.messages(PERSON)]
    assert len(sent) > 1 and all(piece.strip() and len(piece) <= MESSAGE_LIMIT for piece in sent)
    assert "".join(sent).replace("\n", "") == text.replace("\n", "").replace(" " * 200, "")


def test_splitting_cuts_between_lines_and_keeps_the_buttons_on_the_last() -> None:
    markup = buttons([("OK", "!human|yes")])
    pieces = split(Outgoing("a" * 3000 + "\n" + "b" * 3000 + "\n" + "c" * 9000, markup))
    assert [len(p.text) for p in pieces] == [3000, 3000, 4096, 4096, 808]
    assert [p.markup for p in pieces] == [None, None, None, None, markup]
    assert split(Outgoing("x" * 5000, edit=True)) == [Outgoing("x" * 5000, edit=True)]
    pieces = split(Outgoing("a" * 4096 + "\n\n" + "b" * 4096 + "\n \n", markup))
    assert pieces == [Outgoing("a" * 4096), Outgoing("b" * 4096, markup)]  # no blank piece


async def test_a_reply_that_fails_for_a_while_waits_and_goes_later(
    bot: Runtime, api: OfflineBotAPI, phone_factory: Any, clock: Any
) -> None:
    """A 502 may pass: the reply waits in the outbox instead of an apology."""
    phone = phone_factory(language="en")
    api.fail("sendMessage", 502, "Bad Gateway")
    await bot.application.process_update(
        Update.de_json(phone.person.text("/help"), bot.application.bot)
    )
    assert phone.inbox == []
    clock.advance(minutes=1)
    await bot.outbox.send_waiting(timedelta(seconds=5))
    assert [m.text.split(".")[0] for m in phone.inbox] == [
        "This assistant helps you ask OIM Rabat for help to return home"
    ]
