"""Helpers shared by the test modules: a hand-moved clock, simulated phones, database
rows, dashboard accounts and cases, and waiting on other processes."""

from __future__ import annotations

import ast
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from telegram import Update

from bot.app import Runtime
from bot.chat.phone import BotMessage, SimulatedPerson
from bot.checklist import ItemKind
from bot.conversations import CHECKLIST_FILE, load_checklist
from bot.engine import Session
from bot.followups.service import schedule_case
from bot.passwords import hash_password
from bot.store import (
    IntakeSession,
    PreRegistration,
    Submission,
    accounts,
    cases,
    counselling,
    people,
)
from bot.store.database import sqlite_path
from tests.walker import answer_until, is_turn


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Phone:
    """A simulated person whose updates go through the real PTB Application."""

    bot: Runtime
    person: SimulatedPerson

    async def send(self, update: dict[str, Any]) -> BotMessage:
        app = self.bot.application
        await app.process_update(Update.de_json(update, app.bot))
        return self.person.last

    async def say(self, text: str) -> BotMessage:
        return await self.send(self.person.text(text))

    async def tap(self, label: str) -> BotMessage:
        """Tap the newest button whose text contains `label`."""
        return await self.send(self.person.tap(label))

    async def choose(self, value: str) -> BotMessage:
        """Tap the newest button that answers `value` (whatever its label's language)."""
        for message in reversed(self.inbox):
            for button in message.buttons:
                data = button["callback_data"]
                if data.endswith(f"|{value}"):
                    return await self.send(self.person.tap(data=data, message=message))
        raise LookupError(
            f"no button for {value!r} in {[b for m in self.inbox[-2:] for b in m.buttons]}"
        )

    @property
    def last(self) -> BotMessage:
        return self.person.last

    @property
    def inbox(self) -> list[BotMessage]:
        return self.person.inbox


@dataclass
class RemotePhone:
    """A person whose updates reach a bot in another process, through `post`: each answer
    waits, through `wait`, until the bot has answered it."""

    person: SimulatedPerson
    post: Callable[[dict[str, Any]], Awaitable[object]]
    wait: Callable[[Callable[[], bool]], Awaitable[None]]

    @property
    def inbox(self) -> list[BotMessage]:
        return self.person.inbox

    async def say(self, text: str) -> None:
        count = len(self.inbox)
        await self.post(self.person.text(text))
        await self.wait(lambda: len(self.inbox) > count and is_turn(self.inbox[-1]))

    async def choose(self, value: str) -> None:
        """Tap the newest button for `value`; a toggle is answered by new buttons only."""
        message, data = next(
            (m, b["callback_data"])
            for m in reversed(self.inbox)
            for b in m.buttons
            if b["callback_data"].endswith(f"|{value}")
        )
        count, before = len(self.inbox), message.reply_markup
        await self.post(self.person.tap(data=data, message=message))

        def answered() -> bool:
            if len(self.inbox) > count:
                return is_turn(self.inbox[-1])
            return bool(message.buttons) and message.reply_markup != before

        await self.wait(answered)


async def table_rows(bot: Runtime, model: Any) -> list[Any]:
    """Every row of a model's table, as mappings, in id order where there is one."""
    table = model.__table__
    query = select(table)
    if "id" in table.c:
        query = query.order_by(table.c.id)
    async with bot.store.unit() as unit:
        return list((await unit.connection.execute(query)).mappings())


def on_disk(bot: Runtime, *values: bytes) -> dict[str, list[bytes]]:
    """Which `values` the raw bytes of the SQLite database file and of its log hold."""
    path = sqlite_path(bot.store.url)
    assert path is not None
    found = {}
    for name in (path, Path(f"{path}-wal")):
        data = name.read_bytes() if name.exists() else b""
        found[name.name] = [value for value in values if value in data]
    return found


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


PASSWORD = "correct horse battery"


async def add_account(bot: Runtime, name: str = "amina", role: str = "caseworker") -> None:
    async with bot.store.unit() as unit:
        await accounts.add_account(
            unit, name, hash_password(PASSWORD), role, "en", bot.service.clock()
        )


async def add_case(bot: Runtime, telegram_id: int, **answers: Any) -> str:
    values = {
        "full_name": "Awa Diallo",
        "date_of_birth": "1990-01-01",
        "phone": f"+2126000{telegram_id:05d}",
        "nationality": "SN",
        "current_city": "rabat",
        "sex": "female",
        **answers,
    }
    flags = tuple(values.pop("flags", ()))
    async with bot.store.unit() as unit:
        person = await people.add(unit, telegram_id, "fr", bot.service.clock())
        name_key = str(values["full_name"]).casefold()
        submission = Submission(
            values, {"full_name": "2026-11-27T10:00:00+00:00"}, flags, "1", name_key
        )
        sent = await cases.submit(unit, person, submission, "AVR", bot.service.clock())
    return sent.reference


async def counselled(bot: Runtime, reference: str) -> None:
    """Every item of the case's counselling checklist done, as a counsellor records them."""
    checklist = load_checklist(bot.settings.conversations_dir / CHECKLIST_FILE)
    now = bot.service.clock()
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        for item in checklist.items:
            value = item.options[0].value if item.kind is ItemKind.CHOICE else "Seen"
            await counselling.record(
                unit, case.id, item.id, value, now.date(), "Fatima", "setup", now
            )


def token(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, name: str = "amina") -> None:
    page = await client.get("/login")
    response = await client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": token(page)}
    )
    assert response.status_code == 303, response.text


async def at_full_name(phone: Phone) -> None:
    await phone.say("/start")
    await phone.tap("English")
    await phone.tap("I agree")
    await phone.tap("Yes")


async def session_state(bot: Runtime) -> Session:
    (row,) = await table_rows(bot, IntakeSession)
    return Session.from_dict(row["state"])


async def fast_forward(bot: Runtime, phone: Phone, until: str) -> Session:
    """Answer an English intake with plain answers up to the question `until`."""
    await answer_until(phone, until, language="en")
    return await session_state(bot)


RETURNED = date(2026, 11, 20)  # day_7 is due on 27 November, 10:00 local


async def returned_case(
    bot: Runtime,
    telegram_id: int,
    country: str = "SN",
    consent: bool = True,
    return_date: date = RETURNED,
) -> int:
    """A case marked returned, its check-ins planned, as the dashboard does it."""
    reference = await add_case(
        bot, telegram_id, destination_country=country, followup_consent=consent
    )
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        await unit.connection.execute(
            update(PreRegistration.__table__)
            .where(PreRegistration.__table__.c.id == case.id)
            .values(status="returned", return_date=return_date)
        )
        await schedule_case(unit, case.id, bot.followups, bot.service.clock())
    return case.id


async def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Poll what another process does, up to `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the other side is a separate process
            await asyncio.sleep(0.05)


async def wait_for_port(client: httpx.AsyncClient, port: int) -> None:
    async with asyncio.timeout(20):
        while True:
            try:
                await client.get(f"http://127.0.0.1:{port}/login")
                return
            except httpx.ConnectError:
                await asyncio.sleep(0.05)


def foreign_imports(source: str) -> set[str]:
    """Modules imported by `source` that are neither standard library nor bot.engine."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    allowed = sys.stdlib_module_names | {"__future__"}
    return {n for n in names if n.split(".")[0] not in allowed and not n.startswith("bot.engine")}


def browser(app: Starlette, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """A browser on the dashboard, through the real ASGI app, from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


# What a translation keeps as it is: placeholders, commands, markup and addresses.
_KEPT = re.compile(r"(\{\w*\}|%\(\w+\)s|/\w+|<[^>]*>|&\w+;|https?://\S+)")
_ACCENTED = str.maketrans("aeiouyAEIOUYcnCN", "àéîõüÿÀÉÎÕÜŸçñÇÑ")
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"


def pseudo(message: str) -> str:
    """A message in the pseudo-language: its letters accented, between ⟦ and ⟧, with its
    placeholders, commands and markup untouched, so it reads and works as the English."""
    parts = _KEPT.split(message)
    text = "".join(p if _KEPT.fullmatch(p) else p.translate(_ACCENTED) for p in parts)
    return f"{PSEUDO_OPEN}{text}{PSEUDO_CLOSE}"


def add_language(locales: Path, code: str, translate: Callable[[str], str] = pseudo) -> Path:
    """A new catalog made as the README says (`pybabel init` from the template), each
    message translated by `translate` (one that returns "" leaves it untranslated)."""
    template = str(locales / "messages.pot")
    CommandLineInterface().run(
        ["pybabel", "--quiet", "init", "-i", template, "-d", str(locales), "-l", code]
    )
    path = locales / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if message.id and isinstance(message.id, str):
            message.string = translate(message.id)
    with path.open("wb") as fh:
        write_po(fh, catalog)
    return path


@dataclass
class Reach:
    """The bot's way to the person, as the service sees it: every attempt recorded."""

    delivered: bool = True
    asked: bool = True
    sent: list[tuple[int, str]] = field(default_factory=list)
    questions: list[tuple[int, list[str]]] = field(default_factory=list)

    async def notify(self, telegram_id: int, text: str) -> bool:
        self.sent.append((telegram_id, text))
        return self.delivered

    async def ask_again(self, case_id: int, steps: list[str]) -> bool:
        self.questions.append((case_id, steps))
        return self.asked
