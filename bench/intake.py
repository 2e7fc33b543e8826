"""Benchmark: N people do full intakes at once through the real PTB Application.

1. Live: N simulated people write at once. Updates go into the bot's inbox, as its
   getUpdates loop stores them, and are handled as the bot handles them: different people
   concurrently, each person's in order (bot/delivery/inbox.py), every reply through the
   outbox (stored, sent, removed). Each person waits for the bot's answer before sending
   the next update, since buttons carry the question's revision. This records every
   update, in the order the bot handled them.
2. Bot: the recorded updates are replayed, on a fresh database, through a fresh bot,
   which goes through exactly the same conversations (checked: N references at the end).
   They arrive as polling delivers them: each fetch stores every update waiting in one
   transaction, with at most 100 updates waiting or being handled at once.
3. Floor: the same updates through PTB with one handler that commits one row and sends
   one reply.
4. Calls floor: the same updates through PTB with one handler that commits one row and
   makes, through PTB, the very Bot API calls the bot made for that update in phase 2
   (answer the tap, edit the question to show the answer, send the next question with its
   buttons). It shows how much of the bot's time the Telegram side of its replies takes,
   before any engine, rendering or session storage.

Phases 2, 3 and 4 run under the same conditions (no simulated phones deciding what to
tap), so their ratios compare the bot with the floors; phase 1's figures are printed too.

  updates_per_s     updates handled / wall time (phase 2); target >= 1000
  p50_ms / p99_ms   time to handle one update, claimed -> handlers done (phase 2)
  calls_floor_updates_per_s, calls_ratio_to_floor   phase 4, and phase 3 / phase 4
  bot_to_calls_floor   phase 4's updates/s / phase 2's; target <= 2.0

Usage: python bench/intake.py [--people 1000]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.app import Runtime, build
from bot.chat.phone import BotMessage, SimulatedPerson
from bot.chat.transport import OFFLINE_TOKEN, OfflineBotAPI
from bot.config import Settings
from bot.delivery.outbox import markup_from_dict
from bot.lifecycle import running
from bot.phones import parse_phone
from bot.store import Store, audit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for the tests' walker
from tests.walker import answer_until

Call = tuple[str, dict[str, Any]]
HANDLING: contextvars.ContextVar[int] = contextvars.ContextVar("handling")
FIRST_NAMES = ["Awa", "Moussa", "Fatou", "Jean", "Grace", "Ibrahim", "Aminata", "Paul"]
LAST_NAMES = ["Diallo", "Traoré", "Mbeki", "Koné", "Ndiaye", "Okafor", "Mbappé", "Camara"]


def answers(rng: random.Random) -> dict[str, Any]:
    """One person's answers, with some variety; the questions not named get plain ones."""
    language = rng.choice(["fr", "en"])
    family = rng.choice([0, 0, 1, 3])
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {rng.randrange(10**6)}"
    phone = ""
    while parse_phone(phone, "MA") is None:
        phone = f"+2126{rng.randrange(10**8):08d}"
    return {
        "language": language, "full_name": name, "sex": "female",
        "date_of_birth": "12/03/1991",
        "nationality": rng.choice(["Senegal", "Mali", "Cameroun", "RDC"]),  # typed
        "phone": phone, "current_city": "rabat", "time_in_country": "years_1_to_3",
        "status_in_country": "no_papers", "travel_document": "valid_passport",
        "destination_country": "SN", "destination_city": "Dakar", "family": family,
        "medical_needs": False, "pregnant": "no", "protection": False,
        "occupation": ["crafts"], "reintegration_plan": "business",
        "plan_details": "A tailoring shop", "followup_consent": True,
    }  # fmt: skip


async def intake(phone: BenchPhone, given: dict[str, Any]) -> None:
    """A whole intake, with one answer corrected at the review."""
    await answer_until(phone, "review", **given)
    await phone.choose("edit:full_name")
    await phone.say(f"{given['full_name']} K")
    await phone.choose("confirm")


def tap(person: SimulatedPerson, value: str) -> dict[str, Any]:
    """A tap on the newest button that answers `value`."""
    for message in reversed(person.inbox):
        for button in message.buttons:
            if button["callback_data"].endswith(f"|{value}"):
                return person.tap(data=button["callback_data"], message=message)
    raise LookupError(f"no button {value!r}: {person.inbox[-1].text[:80]!r}")


@dataclass
class Timing:
    """Per-update handling times, recorded by handlers before and after the real ones."""

    started: dict[int, float] = field(default_factory=dict)
    handled: list[float] = field(default_factory=list)
    waiting: dict[int, asyncio.Future[None]] = field(default_factory=dict)
    on_done: Callable[[], None] = lambda: None

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        app.add_handler(TypeHandler(Update, self._start), group=-100)
        app.add_handler(TypeHandler(Update, self._done), group=100)

    async def _start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        HANDLING.set(update.update_id)  # seen by the handlers that follow, in this task
        self.started[update.update_id] = time.perf_counter()

    async def _done(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.handled.append(time.perf_counter() - self.started.pop(update.update_id))
        self.on_done()
        future = self.waiting.pop(update.update_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def submit(self, bot: Runtime, payload: dict[str, Any]) -> None:
        future = asyncio.get_running_loop().create_future()
        self.waiting[payload["update_id"]] = future
        await bot.inbox.receive([payload])
        await future


@dataclass
class BenchPhone:
    """A simulated person for the intake walker: each update is recorded, then handled."""

    person: SimulatedPerson
    bot: Runtime
    timing: Timing
    sent: list[dict[str, Any]]

    @property
    def inbox(self) -> list[BotMessage]:
        return self.person.inbox

    async def say(self, text: str) -> None:
        await self._send(self.person.text(text))

    async def choose(self, value: str) -> None:
        await self._send(tap(self.person, value))

    async def _send(self, payload: dict[str, Any]) -> None:
        self.sent.append(payload)
        await self.timing.submit(self.bot, payload)


async def run_people(
    bot: Runtime,
    timing: Timing,
    people: list[SimulatedPerson],
    given: list[dict[str, Any]],
    sent: list[dict[str, Any]],
) -> float:
    async def person_task(person: SimulatedPerson, answers: dict[str, Any]) -> None:
        await intake(BenchPhone(person, bot, timing, sent), answers)
        assert "AVR-" in person.inbox[-1].text, person.inbox[-1].text

    began = time.perf_counter()
    await asyncio.gather(*(person_task(p, a) for p, a in zip(people, given, strict=True)))
    return time.perf_counter() - began


async def replay_inbox(
    bot: Runtime, timing: Timing, payloads: list[dict[str, Any]], window: int = 100
) -> float:
    """Store the updates in the bot's inbox as polling does: each fetch takes every update
    waiting (at most `window` waiting or being handled at once) and stores them in one
    transaction before the next."""
    free = window
    freed = asyncio.Event()

    def on_done() -> None:
        nonlocal free
        free += 1
        freed.set()

    timing.on_done = on_done
    last = asyncio.get_running_loop().create_future()
    timing.waiting[payloads[-1]["update_id"]] = last
    began = time.perf_counter()
    start = 0
    while start < len(payloads):
        while not free:
            freed.clear()
            await freed.wait()
        batch = payloads[start : start + free]
        start += len(batch)
        free -= len(batch)
        await bot.inbox.receive(batch)
    await last
    return time.perf_counter() - began


async def replay(
    app: Application,  # type: ignore[type-arg]
    timing: Timing,
    payloads: list[dict[str, Any]],
    window: int = 100,
) -> float:
    """Feed the updates in order, keeping up to `window` in the queue, as polling does."""
    room = asyncio.Semaphore(window)
    timing.on_done = room.release
    last = asyncio.get_running_loop().create_future()
    timing.waiting[payloads[-1]["update_id"]] = last
    began = time.perf_counter()
    for payload in payloads:
        await room.acquire()
        await app.update_queue.put(Update.de_json(payload, app.bot))
    await last
    return time.perf_counter() - began


def floor_application(store: Store) -> tuple[Application, Timing]:  # type: ignore[type-arg]
    """PTB with one handler: commit one row, send one reply."""
    api = OfflineBotAPI(record_calls=False)
    app = ApplicationBuilder().token(OFFLINE_TOKEN).request(api).get_updates_request(api).build()

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with store.unit() as unit:
            await audit.record(unit, "bench.floor", datetime.now(UTC))
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "ok")

    timing = Timing()
    timing.install(app)
    app.add_handler(TypeHandler(Update, handler))
    return app, timing


@dataclass
class RecordingAPI(OfflineBotAPI):
    """The in-process Bot API, noting which update each call was made for."""

    by_update: dict[int, list[Call]] = field(default_factory=dict)

    async def call(self, endpoint: str, params: dict[str, Any]) -> tuple[int, bytes]:
        if (update_id := HANDLING.get(None)) is not None:
            self.by_update.setdefault(update_id, []).append((endpoint, params))
        return await super().call(endpoint, params)


def calls_floor_application(
    store: Store, by_update: dict[int, list[Call]]
) -> tuple[Application, Timing]:  # type: ignore[type-arg]
    """PTB with one handler: commit one row, make the Bot API calls the bot made."""
    api = RecordingAPI(record_calls=False, history=10)
    app = ApplicationBuilder().token(OFFLINE_TOKEN).request(api).get_updates_request(api).build()
    # Buttons are built before the clock starts: this floor only makes the calls.
    calls = {
        update_id: [(endpoint, params, markup_from_dict(params.get("reply_markup")))
                    for endpoint, params in made]
        for update_id, made in by_update.items()
    }  # fmt: skip
    last_sent: dict[int, int] = {}  # the bot edits the question just tapped: its last one

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with store.unit() as unit:
            await audit.record(unit, "bench.floor", datetime.now(UTC))
        bot = context.bot
        for endpoint, params, markup in calls.get(update.update_id, []):
            chat = int(params.get("chat_id", 0))
            if endpoint == "answerCallbackQuery":
                await bot.answer_callback_query(params["callback_query_id"], params.get("text"))
            elif endpoint == "sendMessage":
                sent = await bot.send_message(chat, params["text"], reply_markup=markup)
                last_sent[sent.chat_id] = sent.message_id
            elif endpoint == "editMessageText":
                await bot.edit_message_text(
                    params["text"], chat, last_sent[chat], reply_markup=markup
                )
            elif endpoint == "editMessageReplyMarkup":
                await bot.edit_message_reply_markup(chat, last_sent[chat], reply_markup=markup)
            else:
                raise LookupError(f"the calls floor does not make {endpoint}")

    async def check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        made = [endpoint for endpoint, _ in api.by_update.get(update.update_id, [])]
        assert made == [endpoint for endpoint, _, _ in calls.get(update.update_id, [])], made

    timing = Timing()
    timing.install(app)
    app.add_handler(TypeHandler(Update, handler))
    app.add_handler(TypeHandler(Update, check), group=99)
    app.add_error_handler(_fail)
    return app, timing


FAILED: list[str] = []


async def _fail(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A floor that fails is no floor: the run is checked for failures at the end."""
    FAILED.append(repr(context.error))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def live(settings: Settings, people_count: int, seed: int) -> list[dict[str, Any]]:
    """Phase 1: the people write at once; returns their updates in the order handled."""
    rng = random.Random(seed)
    api = OfflineBotAPI(record_calls=False, history=10)
    bot = await build(settings, offline=api)
    await bot.start()
    timing = Timing()
    timing.install(bot.application)
    people = [
        api.person(10_000 + i, f"P{i}", rng.choice(["fr", "en"])) for i in range(people_count)
    ]
    given = [answers(rng) for _ in people]
    sent: list[dict[str, Any]] = []
    async with running(bot, poll_timeout=30):
        wall = await run_people(bot, timing, people, given, sent)
    await bot.stop()
    print(
        f"live: {people_count} people, {len(sent)} updates in {wall:.1f} s "
        f"({len(sent) / wall:.0f}/s with the phones simulated in-process), "
        f"p50 {statistics.median(timing.handled) * 1000:.2f} ms, "
        f"p99 {percentile(timing.handled, 0.99) * 1000:.2f} ms",
        file=sys.stderr,
    )
    return sent


async def bot_replay(
    settings: Settings, sent: list[dict[str, Any]], api: OfflineBotAPI
) -> tuple[float, Timing, int]:
    """Phase 2: the same updates through a fresh bot on a fresh database."""
    bot = await build(settings, offline=api)
    await bot.start()
    timing = Timing()
    timing.install(bot.application)
    async with running(bot, poll_timeout=30):
        wall = await replay_inbox(bot, timing, sent)
    async with bot.store.unit() as unit:
        count = await unit.connection.execute(text("SELECT count(*) FROM pre_registrations"))
        references = count.scalar_one()
    await bot.stop()
    return wall, timing, references


async def floor_replay(
    settings: Settings,
    sent: list[dict[str, Any]],
    application: Callable[[Store], tuple[Application, Timing]],  # type: ignore[type-arg]
) -> tuple[float, Timing]:
    """Phases 3 and 4: the same updates through a floor application on a fresh database."""
    store = Store(settings.database())
    await store.upgrade()
    app, timing = application(store)
    async with app:
        await app.start()
        wall = await replay(app, timing, sent)
        await app.stop()
    await store.close()
    assert not FAILED, f"{len(FAILED)} updates failed, first: {FAILED[0]}"
    return wall, timing


async def main(people_count: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:

        def settings(name: str) -> Settings:
            return Settings(_env_file=None, data_dir=Path(tmp) / name, telegram_bot_token=None)  # type: ignore[call-arg]

        sent = await live(settings("live"), people_count, seed)
        # The recorded updates are the harness's, not the bot's: keep the garbage collector
        # from scanning them again and again while the replays allocate.
        gc.collect()
        gc.freeze()
        recording = RecordingAPI(record_calls=False, history=10)
        wall, timing, references = await bot_replay(settings("bot"), sent, recording)
        assert references == people_count, f"the replay made {references} pre-registrations"
        floor_wall, floor_timing = await floor_replay(settings("floor"), sent, floor_application)
        calls_wall, calls_timing = await floor_replay(
            settings("calls"),
            sent,
            lambda store: calls_floor_application(store, recording.by_update),
        )

    handled = timing.handled
    result = {
        "updates_per_s": round(len(handled) / wall, 1),
        "p50_ms": round(statistics.median(handled) * 1000, 3),
        "p99_ms": round(percentile(handled, 0.99) * 1000, 3),
        "floor_updates_per_s": round(len(floor_timing.handled) / floor_wall, 1),
    }
    result["ratio_to_floor"] = round(result["floor_updates_per_s"] / result["updates_per_s"], 3)
    result["calls_floor_updates_per_s"] = round(len(calls_timing.handled) / calls_wall, 1)
    result["calls_ratio_to_floor"] = round(
        result["floor_updates_per_s"] / result["calls_floor_updates_per_s"], 3
    )
    result["bot_to_calls_floor"] = round(
        result["calls_floor_updates_per_s"] / result["updates_per_s"], 3
    )
    calls = sum(len(made) for made in recording.by_update.values())
    print(
        f"bot: {len(handled)} updates in {wall:.1f} s, {calls} Bot API calls; "
        f"floor: {len(floor_timing.handled)} updates in {floor_wall:.1f} s; "
        f"calls floor: {len(calls_timing.handled)} updates in {calls_wall:.1f} s",
        file=sys.stderr,
    )
    return result


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _args()
    print(json.dumps(asyncio.run(main(args.people, args.seed))))
