"""Outreach links and knowing when a person has gone: a partner's link and QR code, the
source kept with the request (and only counted for those who send none), the queue's
filter and the export's column; a person who blocks the bot pauses what waits for them."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import segno
from sqlalchemy import select, update
from telegram import Update

from bot.app import Runtime
from bot.chat.transport import OfflineBotAPI
from bot.lifecycle import ALLOWED_UPDATES
from bot.replies import Help, Reply, User
from bot.store import IntakeSession, Person, PreRegistration, cases, checkins, sources, tables
from bot.store.models import Account, OutboxMessage, OutreachSource
from bot.web.sources import QR_ERROR
from tests.helpers import (
    Clock,
    Phone,
    add_account,
    add_case,
    browser,
    returned_case,
    sign_in,
    table_rows,
    token,
)
from tests.walker import complete_intake

BOT_LINK = "https://t.me/intake_offline_bot?start="


@pytest.fixture
async def client(bot: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(bot.web) as client:
        yield client


async def handle(bot: Runtime, update: dict[str, object]) -> None:
    """An update handled by the real application, as the inbox hands it over."""
    await bot.application.process_update(Update.de_json(update, bot.application.bot))


async def new_source(bot: Runtime, name: str = "Caritas Rabat") -> sources.SourceRecord:
    async with bot.store.unit() as unit:
        code = sources.new_code()
        return await sources.add(unit, name, code, "zineb", bot.service.clock())


async def source(bot: Runtime, source_id: int) -> sources.SourceRecord:
    async with bot.store.unit() as unit:
        found = await sources.by_id(unit, source_id)
    assert found is not None
    return found


def png_modules(png: bytes, scale: int, border: int) -> list[list[bool]]:
    """The dark modules a black-and-white PNG of a QR code shows, row by row."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    position, chunks = 8, {}
    data = b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        chunks[kind] = body
        data += body if kind == b"IDAT" else b""
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (1, 0) or (depth, colour) == (1, 3)  # one bit a pixel
    raw = zlib.decompress(data)
    stride = (width + 7) // 8
    rows, previous = [], bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        previous = _unfilter(line[0], line[1:], previous)
        rows.append([(previous[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
    dark = 0 if colour == 0 else _dark_index(chunks[b"PLTE"])
    size = width // scale - 2 * border
    return [
        [rows[(border + y) * scale][(border + x) * scale] == dark for x in range(size)]
        for y in range(size)
    ]


def _unfilter(kind: int, line: bytes, above: bytes) -> bytes:
    """A PNG scanline of one byte a pixel group, its filter undone (PNG spec, 9.2)."""
    out = bytearray()
    for i, value in enumerate(line):
        left = out[i - 1] if i else 0
        up, corner = above[i], above[i - 1] if i else 0
        if kind == 1:
            value += left
        elif kind == 2:
            value += up
        elif kind == 3:
            value += (left + up) // 2
        elif kind == 4:
            p = left + up - corner
            guess = min(
                (abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner)
            )
            value += guess[2]
        out.append(value & 0xFF)
    return bytes(out)


def _dark_index(palette: bytes) -> int:
    colours = [palette[i : i + 3] for i in range(0, len(palette), 3)]
    return colours.index(min(colours))


# A supervisor's link and QR code


async def test_a_supervisor_makes_a_source_and_gets_its_link_and_qr_codes(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "zineb", "supervisor")
    await sign_in(client, "zineb")
    page = await client.get("/sources")
    made = await client.post(
        "/sources", data={"name": " Caritas  Rabat ", "csrf_token": token(page)}
    )
    assert made.status_code == 303 and made.headers["location"] == "/sources"
    [row] = await table_rows(bot, OutreachSource)
    assert row["name"] == "Caritas Rabat" and len(row["code"]) == sources.CODE_LENGTH
    link = BOT_LINK + row["code"]
    listed = await client.get("/sources")
    assert link in listed.text and "Caritas Rabat" in listed.text

    svg = await client.get(f"/sources/{row['id']}.svg")
    png = await client.get(f"/sources/{row['id']}.png")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert png.headers["content-type"] == "image/png"
    expected = segno.make(link, error=QR_ERROR, micro=False)
    drawn = io.BytesIO()
    expected.save(drawn, kind="svg", scale=10, border=4)
    assert svg.content == drawn.getvalue() and svg.text.lstrip().startswith("<?xml")
    # The PNG shows module for module the QR code of exactly that link.
    assert png_modules(png.content, scale=16, border=4) == [
        [bool(module) for module in row] for row in expected.matrix
    ]
    other = segno.make(BOT_LINK + "x" * sources.CODE_LENGTH, error=QR_ERROR, micro=False)
    assert png_modules(png.content, scale=16, border=4) != [
        [bool(module) for module in row] for row in other.matrix
    ]


async def test_codes_are_random_and_in_telegrams_start_alphabet() -> None:
    codes = {sources.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(sources.well_formed(code) for code in codes)
    assert not sources.well_formed("a" * (sources.CODE_LENGTH - 1))
    assert not sources.well_formed("é" * sources.CODE_LENGTH)


async def test_only_supervisors_make_sources_and_see_their_codes(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    made = await new_source(bot)
    signed_out = await client.get(f"/sources/{made.id}.svg")
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")
    await add_account(bot, "amina", "caseworker")
    await sign_in(client, "amina")
    page = await client.get("/")
    assert (await client.get("/sources")).status_code == 403
    assert (await client.get(f"/sources/{made.id}.png")).status_code == 403
    refused = await client.post("/sources", data={"name": "Mine", "csrf_token": token(page)})
    assert refused.status_code == 403
    assert len(await table_rows(bot, OutreachSource)) == 1


async def test_a_source_needs_a_name_and_a_form_token(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "zineb", "supervisor")
    await sign_in(client, "zineb")
    page = await client.get("/sources")
    assert (await client.post("/sources", data={"name": "Caritas"})).status_code == 403
    empty = await client.post("/sources", data={"name": "  ", "csrf_token": token(page)})
    assert empty.status_code == 400 and "Give the source a name." in empty.text
    assert await table_rows(bot, OutreachSource) == []


async def test_the_sources_page_speaks_french(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot, "zineb", "supervisor")
    await sign_in(client, "zineb")
    async with bot.store.unit() as unit:  # the account's own language decides
        await unit.connection.execute(update(Account.__table__).values(language="fr"))
    french = await client.get("/sources")
    assert "Sources de contact" in french.text and "Nouvelle source" in french.text


# /start <code>


async def test_a_request_keeps_the_source_its_person_came_by(
    bot: Runtime, phone_factory: object, client: httpx.AsyncClient
) -> None:
    made = await new_source(bot)
    phone: Phone = phone_factory(5101, "fr")  # type: ignore[operator]
    await phone.say(f"/start {made.code}")
    [session] = await table_rows(bot, IntakeSession)
    assert session["source_id"] == made.id
    reference = await complete_intake(phone)
    [case] = await table_rows(bot, PreRegistration)
    assert (case["reference"], case["source_id"]) == (reference, made.id)
    counted = await source(bot, made.id)
    assert (counted.started, counted.declined, counted.submitted) == (1, 0, 1)

    other = await add_case(bot, 5102)  # came without a link
    await add_account(bot, "zineb", "supervisor")
    await sign_in(client, "zineb")
    filtered = await client.get(f"/?source={made.id}")
    assert reference in filtered.text and other not in filtered.text
    everyone = await client.get("/")
    assert reference in everyone.text and other in everyone.text
    page = await client.get(f"/cases/{reference}")
    assert "Came by the outreach source: Caritas Rabat" in page.text

    exported = await client.post(
        "/export.csv", data={"source": str(made.id), "csrf_token": token(filtered)}
    )
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    column = table[0].index("Outreach source")
    assert [(r[0], r[column]) for r in table[1:]] == [(reference, "Caritas Rabat")]
    every = await client.post("/export.csv", data={"csrf_token": token(filtered)})
    rows = list(csv.reader(io.StringIO(every.content.decode("utf-8-sig"))))[1:]
    assert sorted((r[0], r[column]) for r in rows) == sorted(
        [(reference, "Caritas Rabat"), (other, "")]
    )


@pytest.mark.parametrize("code", ["forged-code-0000", "x", "' OR 1=1 --", "A" * 64])
async def test_an_unknown_code_is_ignored_and_the_intake_begins_as_usual(
    bot: Runtime, phone_factory: object, caplog: pytest.LogCaptureFixture, code: str
) -> None:
    await new_source(bot)
    plain: Phone = phone_factory(5201, "en")  # type: ignore[operator]
    await plain.say("/start")
    linked: Phone = phone_factory(5202, "en")  # type: ignore[operator]
    with caplog.at_level(logging.INFO):
        await linked.say(f"/start {code}")
    assert [m.text for m in linked.inbox] == [m.text for m in plain.inbox]
    assert [row["source_id"] for row in await table_rows(bot, IntakeSession)] == [None, None]
    assert "ignored an unknown outreach code" in caplog.text
    assert code not in caplog.text
    [made] = await table_rows(bot, OutreachSource)
    assert made["started"] == 0


async def test_a_code_sent_once_the_intake_began_changes_nothing(
    bot: Runtime, phone_factory: object
) -> None:
    made = await new_source(bot)
    phone: Phone = phone_factory(5301, "en")  # type: ignore[operator]
    await phone.say("/start")
    await phone.say(f"/start {made.code}")
    [session] = await table_rows(bot, IntakeSession)
    assert session["source_id"] is None
    assert (await source(bot, made.id)).started == 0


async def test_a_person_who_declines_leaves_only_a_count(
    bot: Runtime, phone_factory: object
) -> None:
    made = await new_source(bot)
    phone: Phone = phone_factory(5401, "fr")  # type: ignore[operator]
    await phone.say(f"/start {made.code}")
    await phone.choose("fr")
    await phone.choose("decline")
    assert await table_rows(bot, Person) == []
    assert await table_rows(bot, IntakeSession) == []
    assert await table_rows(bot, PreRegistration) == []
    counted = await source(bot, made.id)
    assert (counted.started, counted.declined, counted.submitted) == (1, 1, 0)
    async with bot.store.unit() as unit:  # nor does the audit log tie them to the source
        details = (await unit.connection.execute(select(tables.audit_events.c.details))).all()
    assert all("source" not in str(d) for d in details)


# Blocking and unblocking the bot


async def keep_message(bot: Runtime, telegram_id: int) -> None:
    """A message kept for the person, as any reply is, waiting to be sent."""
    async with bot.store.unit() as unit:
        await bot.outbox.keep(unit, User(telegram_id), Reply("en", [Help()]), bot.service.clock())


async def waiting(bot: Runtime) -> int:
    return len(await table_rows(bot, OutboxMessage))


async def statuses(bot: Runtime, case_id: int) -> dict[str, str]:
    async with bot.store.unit() as unit:
        return {r.checkin: r.status for r in await checkins.for_case(unit, case_id)}


async def test_blocking_pauses_check_ins_and_messages_and_unblocking_sends_them(
    bot: Runtime, api: OfflineBotAPI, clock: Clock, client: httpx.AsyncClient
) -> None:
    case_id = await returned_case(bot, 5501)  # day_7 is due now
    phone = api.person(5501, "Awa", "en")
    await handle(bot, phone.block())
    [person] = await table_rows(bot, Person)
    assert person["unreachable_at"] == clock()

    clock.advance(minutes=1)
    assert (await bot.dispatcher.run_once()).outcomes == {}  # paused: nothing tried
    assert (await statuses(bot, case_id))["day_7"] == "planned"
    await keep_message(bot, 5501)
    assert (await bot.outbox.flush(5501)).sent
    clock.advance(minutes=5)
    assert await bot.outbox.send_waiting(timedelta(seconds=5)) == 0
    assert api.messages(5501) == [] and await waiting(bot) == 1  # not sent, not lost
    assert not [c for c in api.calls if c[0] == "sendMessage"]  # nothing was even tried

    await add_account(bot, "amina")
    await sign_in(client)
    async with bot.store.unit() as unit:
        found = await cases.by_id(unit, case_id)
    assert found is not None
    page = await client.get(f"/cases/{found.reference}")
    assert "The person stopped the bot on November 27, 2026" in page.text

    await handle(bot, phone.unblock())
    assert api.messages(5501)[0].text.startswith("This assistant helps you ask OIM Rabat")
    assert await waiting(bot) == 0
    assert (await table_rows(bot, Person))[0]["unreachable_at"] is None
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    assert (await statuses(bot, case_id))["day_7"] == "sent"
    assert "stopped the bot" not in (await client.get(f"/cases/{found.reference}")).text


async def test_the_case_page_says_in_french_when_the_person_stopped_the_bot(
    bot: Runtime, api: OfflineBotAPI, client: httpx.AsyncClient
) -> None:
    reference = await add_case(bot, 5601)
    phone = api.person(5601, "Awa", "fr")
    await handle(bot, phone.block())
    await add_account(bot, "amina")
    async with bot.store.unit() as unit:
        await unit.connection.execute(update(Account.__table__).values(language="fr"))
    await sign_in(client)
    page = await client.get(f"/cases/{reference}")
    assert "La personne a arrêté le bot le 27 novembre 2026" in page.text


async def cancelled_as_blocked(bot: Runtime, case_id: int) -> None:
    """What an earlier version left after a refused message (403): the person marked, the
    case flagged, and the check-ins cancelled as "blocked"."""
    async with bot.store.unit() as unit:
        found = await cases.by_id(unit, case_id)
        assert found is not None
        await unit.connection.execute(
            update(tables.followups)
            .where(tables.followups.c.pre_registration_id == case_id)
            .values(status="cancelled", reason="blocked")
        )
        await unit.connection.execute(
            update(tables.people).values(unreachable_at=bot.service.clock())
        )
        await cases.add_flag(unit, case_id, "unreachable")


async def test_a_refused_message_pauses_the_check_ins_and_coming_back_sends_them(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    """Before Telegram tells of the block, a refused message (403) may: the check-ins
    pause, planned, and go when the person comes back; the flag goes."""
    case_id = await returned_case(bot, 5701)
    clock.advance(minutes=1)
    api.blocked.add(5701)
    assert (await bot.dispatcher.run_once()).outcomes == {"blocked": 1}
    assert set((await statuses(bot, case_id)).values()) == {"planned"}
    api.blocked.discard(5701)
    await handle(bot, api.person(5701, "Awa", "en").unblock())
    async with bot.store.unit() as unit:
        found = await cases.by_id(unit, case_id)
    assert found is not None and "unreachable" not in found.flags
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    assert (await statuses(bot, case_id))["day_7"] == "sent"


async def test_check_ins_an_earlier_version_cancelled_are_planned_again(
    bot: Runtime, api: OfflineBotAPI
) -> None:
    case_id = await returned_case(bot, 5704)
    await cancelled_as_blocked(bot, case_id)
    await handle(bot, api.person(5704, "Awa", "en").unblock())
    assert set((await statuses(bot, case_id)).values()) == {"planned"}


async def test_stop_as_the_first_word_back_leaves_nothing_planned(
    bot: Runtime, api: OfflineBotAPI
) -> None:
    case_id = await returned_case(bot, 5705)
    await cancelled_as_blocked(bot, case_id)
    await handle(bot, api.person(5705, "Awa", "fr").text("/stop"))
    assert set((await statuses(bot, case_id)).values()) == {"cancelled"}
    assert (await table_rows(bot, Person))[0]["unreachable_at"] is None


async def test_a_person_marked_unreachable_who_writes_is_answered_and_back(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    """Without an unblock update (a refusal marked them, or the update was lost), someone
    who writes is reachable: their reply is not held behind the mark, and what paused
    goes on."""
    await returned_case(bot, 5702)
    clock.advance(minutes=1)
    api.blocked.add(5702)
    assert (await bot.dispatcher.run_once()).outcomes == {"blocked": 1}
    api.blocked.discard(5702)  # they let the bot write again; Telegram's update is lost
    phone = api.person(5702, "Awa", "en")
    await handle(bot, phone.text("Hello, I am back home"))
    assert api.messages(5702)[-1].text.startswith("Merci. Votre message a été transmis")
    assert (await table_rows(bot, Person))[0]["unreachable_at"] is None
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}


@pytest.mark.parametrize("later", ["closed", "too_late"])
async def test_coming_back_plans_again_only_check_ins_still_due_for_a_returned_case(
    bot: Runtime, api: OfflineBotAPI, clock: Clock, later: str
) -> None:
    case_id = await returned_case(bot, 5703)
    if later == "closed":  # cancelled by an earlier version, then the case was closed
        await cancelled_as_blocked(bot, case_id)
        async with bot.store.unit() as unit:
            await unit.connection.execute(
                update(PreRegistration.__table__)
                .where(PreRegistration.__table__.c.id == case_id)
                .values(status="closed")
            )
    else:  # paused, and back after every check-in's time and its three days' grace
        clock.advance(minutes=1)
        api.blocked.add(5703)
        assert (await bot.dispatcher.run_once()).outcomes == {"blocked": 1}
        api.blocked.discard(5703)
        clock.advance(days=400)
    await handle(bot, api.person(5703, "Awa", "fr").unblock())
    assert set((await statuses(bot, case_id)).values()) == {"cancelled"}
    assert (await bot.dispatcher.run_once()).outcomes == {}  # nothing sent late


async def test_a_block_from_a_stranger_or_twice_changes_nothing(
    bot: Runtime, api: OfflineBotAPI, clock: Clock
) -> None:
    stranger = api.person(5801, "Ali", "en")
    await handle(bot, stranger.block())  # never wrote: nobody to mark
    assert await table_rows(bot, Person) == []
    await add_case(bot, 5802)
    phone = api.person(5802, "Awa", "en")
    await handle(bot, phone.block())
    first = clock()
    clock.advance(days=1)
    await handle(bot, phone.block())
    assert (await table_rows(bot, Person))[0]["unreachable_at"] == first


async def test_my_chat_member_updates_are_asked_for_and_reach_the_bot_by_polling(
    polling: Runtime, api: OfflineBotAPI
) -> None:
    assert "my_chat_member" in ALLOWED_UPDATES
    await add_case(polling, 5901)
    person = api.person(5901, "Awa", "en")
    api.deliver(person.block())

    async def marked() -> bool:
        rows = await table_rows(polling, Person)
        return rows[0]["unreachable_at"] is not None

    async with asyncio.timeout(20):
        while not await marked():  # noqa: ASYNC110 - the inbox's task writes it
            await asyncio.sleep(0.05)
    updates = [c for c in api.calls if c[0] == "getUpdates"]
    assert "my_chat_member" in str(updates[0][1].get("allowed_updates"))
