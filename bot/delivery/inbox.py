"""The inbox: every update is stored before Telegram is told it arrived, then handled
from the store, each chat's in order.

Polling: the updates of one getUpdates are stored in one transaction before the next
getUpdates (whose offset confirms them) is made. Webhook: the request is answered 200
only once its update is stored. The same update twice (after a crash, or a retry of
Telegram's) is stored, and handled, once.

Handling: this process claims stored updates, each the earliest unhandled of its chat, so
one chat's updates go in order even across processes, and hands each to PTB's handlers.
The reply's transaction marks the update handled (bot/delivery/outbox.py); an update that
produced no reply is marked after its handlers ran. A crash leaves unhandled updates
claimed by this process's name: the next start releases them and handles them first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import Application, ContextTypes

from bot.chat.sender import retry_seconds
from bot.store import Store, inbox

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a claim another process may take over, if this one died
KEEP = timedelta(days=1)  # handled updates' ids, against repeats
CONCURRENCY = 32  # updates handled at once (each of another chat)
IDLE_CHECK = 1.0  # seconds between looks for updates stored by other processes
STOP_WAIT = 1.5  # seconds for updates being handled to finish when stopping


class Inbox:
    """Stores updates as they arrive and hands them to PTB's application."""

    def __init__(
        self,
        store: Store,
        application: Application,  # type: ignore[type-arg]
        clock: Callable[[], datetime],
        answered: Callable[[int], bool],
        worker: str = "",
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.store = store
        self.application = application
        self.clock = clock
        self.answered = answered  # whether a committed reply marked the update handled
        self.worker = worker  # this process's name on its claims
        self.concurrency = concurrency
        self._wake = asyncio.Event()
        self._handling: set[asyncio.Task[None]] = set()
        self._fresh: dict[int, Update] = {}  # fetched here: no need to parse them again

    async def receive(self, payloads: list[dict[str, Any]]) -> set[int]:
        """Store updates (as Telegram sends them); the ids of those that were new."""
        received = [inbox.Received(p["update_id"], _chat_of(p), p) for p in payloads]
        async with self.store.unit() as unit:
            new = await inbox.add(unit, received, self.clock())
        if new:
            self._wake.set()
        return set(new)

    async def handle(self) -> None:
        """Handle stored updates until cancelled; on cancel, those being handled get
        STOP_WAIT seconds to finish, the others stay stored."""
        async with self.store.unit() as unit:
            released = await inbox.release(unit, self.worker)
        if released:
            log.info("inbox: %d updates of an earlier run to handle again", released)
        try:
            while True:
                self._wake.clear()
                room = self.concurrency - len(self._handling)
                claimed = await self._claim(room) if room > 0 else []
                for row in claimed:
                    task = asyncio.create_task(self._handle(row))
                    self._handling.add(task)
                    task.add_done_callback(self._handling.discard)
                if not claimed or len(claimed) == room:
                    # Not asyncio.wait_for: on Python 3.11 it loses a cancel that comes as
                    # the event is set, and a stopping process would wait here for ever.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(IDLE_CHECK):
                            await self._wake.wait()
        finally:
            await self._finish_handling()

    async def poll(self, wait: int, allowed_updates: list[str]) -> None:
        """Fetch updates with getUpdates (long polling for `wait` seconds) until cancelled,
        each batch stored before the next call confirms it to Telegram."""
        bot = self.application.bot
        await bot.delete_webhook()
        offset = 0
        failures = 0
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset,
                    timeout=wait,
                    allowed_updates=allowed_updates,
                    read_timeout=wait + 10,
                )
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error.retry_after))
                continue
            except Exception as error:  # Telegram or the network may be back in a moment
                failures += 1
                log.warning("getUpdates failed (%s); trying again", type(error).__name__)
                await asyncio.sleep(min(30.0, 2.0**failures))
                continue
            failures = 0
            if not updates:
                continue
            new = await self.receive([update.to_dict() for update in updates])
            self._fresh.update((u.update_id, u) for u in updates if u.update_id in new)
            offset = updates[-1].update_id + 1

    async def prune(self) -> int:
        """Forget updates handled more than a day ago; how many went."""
        async with self.store.unit() as unit:
            pruned = await inbox.prune(unit, self.clock() - KEEP)
        log.info("inbox: %d handled updates pruned", pruned)
        return pruned

    async def job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The job queue's daily call."""
        await self.prune()

    async def _claim(self, limit: int) -> list[inbox.Received]:
        now = self.clock()
        try:
            async with self.store.unit() as unit:
                return await inbox.claim(unit, self.worker, now, now + LEASE, limit)
        except Exception as error:  # the database may be back on the next look
            log.error("inbox: could not claim updates: %s", type(error).__name__)
            return []

    async def _handle(self, row: inbox.Received) -> None:
        update = self._fresh.pop(row.update_id, None) or Update.de_json(
            row.payload, self.application.bot
        )
        try:
            await self.application.process_update(update)
        except Exception as error:  # PTB's error handler has run; this must not stop us
            log.error("update %s failed: %s", row.update_id, type(error).__name__)
        try:
            if not self.answered(row.update_id):
                async with self.store.unit() as unit:
                    await inbox.done(unit, row.update_id, self.clock())
        except Exception as error:  # the claim lapses: the update is handled again
            log.error("update %s not marked handled: %s", row.update_id, type(error).__name__)
        self._wake.set()

    async def _finish_handling(self) -> None:
        if not self._handling:
            return
        _, pending = await asyncio.wait(set(self._handling), timeout=STOP_WAIT)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
            log.info("inbox: %d updates left for the next start", len(pending))


def _chat_of(payload: dict[str, Any]) -> int | None:
    """The chat an update belongs to, for handling each chat's in order."""
    for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if isinstance(body := payload.get(kind), dict):
            return int(body["chat"]["id"])
    for kind in ("callback_query", "my_chat_member", "chat_member"):
        if isinstance(body := payload.get(kind), dict):
            chat = body.get("chat") or (body.get("message") or {}).get("chat")
            if isinstance(chat, dict):
                return int(chat["id"])
            return int(body["from"]["id"])
    return None
