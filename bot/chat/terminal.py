"""`intake-bot chat`: talk to the bot in a terminal, over the real PTB pipeline.

The person's lines become Telegram updates on the in-process Bot API; the bot's messages
are printed with their buttons numbered. Type a number to tap a button.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.chat.phone import BotMessage, SimulatedPerson

HELP = (
    "Type an answer and press Enter. Type a button's number to tap it.\n"
    "/sticker, /photo, /location send those instead of text; Ctrl-D quits."
)
ReadLine = Callable[[], Awaitable[str | None]]


def show(kind: str, message: BotMessage) -> str:
    """A bot message as terminal text, buttons numbered from 1."""
    if kind == "edited":  # show what changed: the answer added at the end, if any
        return f"  ({message.text.rsplit(chr(10), 1)[-1]})"
    lines = ["", "bot:", message.text]
    for number, button in enumerate(message.buttons or message.keyboard, start=1):
        lines.append(f"  [{number}] {button['text']}")
    return "\n".join(lines)


def interpret(line: str, person: SimulatedPerson, phone: str) -> dict[str, object]:
    """The update a typed line stands for."""
    extras = {"/sticker": person.sticker, "/photo": person.photo, "/location": person.location}
    if line in extras:
        return extras[line]()
    last = person.inbox[-1] if person.inbox else None
    if last is None or not line.isdigit():
        return person.text(line)
    number, buttons = int(line), last.buttons
    if last.keyboard and not buttons:
        return person.contact(phone) if number == 1 else person.text(line)
    if buttons and all(b["text"].isdigit() for b in buttons):
        chosen = next((b for b in buttons if b["text"] == line), None)
    else:
        chosen = buttons[number - 1] if 1 <= number <= len(buttons) else None
    if chosen is not None:
        return person.tap(data=chosen["callback_data"], message=last)
    return person.text(line)


async def chat(person: SimulatedPerson, phone: str, read_line: ReadLine) -> None:
    """Talk as `person` to a bot receiving from their in-process API, until the input ends."""
    api = person.api
    activity = asyncio.Event()

    def on_message(kind: str, message: BotMessage) -> None:
        print(show(kind, message), flush=True)
        activity.set()

    api.listeners.append(on_message)
    print(HELP, flush=True)
    try:
        line: str | None = "/start"
        while line is not None:
            if line.strip():
                activity.clear()
                api.deliver(interpret(line.strip(), person, phone))
                await _settle(activity)
            line = await read_line()
    finally:
        api.listeners.remove(on_message)


async def _settle(activity: asyncio.Event) -> None:
    """Wait for the bot's answer, then until it has been quiet for a moment."""
    try:  # asyncio.timeout, not wait_for: on 3.11 wait_for may lose a cancel (Ctrl-C)
        async with asyncio.timeout(5):
            await activity.wait()
        while True:
            activity.clear()
            async with asyncio.timeout(0.15):
                await activity.wait()
    except TimeoutError:
        return
