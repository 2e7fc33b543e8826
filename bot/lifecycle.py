"""Start and stop a wired runtime: PTB, its updates, the dashboard's server, the database.

PTB's manual order: initialise, start receiving updates, start the application (and its
job queue); stop in reverse. The dashboard's server starts before updates are received,
so a webhook finds it listening, and stops first, so no update is accepted that the
application would no longer handle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import uvicorn
from telegram.error import TelegramError

from bot.app import Runtime

log = logging.getLogger("bot")

# The updates the bot handles; anything else Telegram keeps to itself.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]

# Longer than clients keep an idle connection (httpx 5 s, an nginx upstream pool 60 s), so
# the client is the one to close it. With uvicorn's default of 5 s, which equals httpx's,
# a request sent on an idle connection just as the server closes it fails outright.
KEEP_ALIVE_SECONDS = 75


class WebhookRefused(Exception):
    """Telegram did not accept the webhook's URL."""


@contextlib.asynccontextmanager
async def started(runtime: Runtime) -> AsyncIterator[Runtime]:
    """PTB initialised with its command menus; on leaving, PTB shut down and the store closed."""
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@contextlib.asynccontextmanager
async def running(runtime: Runtime, *, poll_timeout: int = 1) -> AsyncIterator[Runtime]:
    """A started runtime receiving and handling updates, until the block ends.

    Updates come by webhook when the settings name one, otherwise by polling getUpdates
    with `poll_timeout` seconds of long polling; either way they go through the inbox.
    On leaving, receiving stops first, then handling: updates being handled get a moment
    to finish, the others stay in the inbox for the next start.
    """
    application = runtime.application
    url = runtime.settings.webhook_url
    if url:
        try:
            await application.bot.set_webhook(
                url, secret_token=runtime.settings.webhook_token(), allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as error:
            raise WebhookRefused(f"Telegram refused the webhook {url}: {error}") from error
    handling = asyncio.create_task(runtime.inbox.handle(), name="inbox")
    receiving = (
        None
        if url
        else asyncio.create_task(runtime.inbox.poll(poll_timeout, ALLOWED_UPDATES), name="poll")
    )
    try:
        await application.start()
        await runtime.outbox.start()
        yield runtime
    finally:
        for task in (receiving, handling):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if application.running:
            await application.stop()


async def serve(
    runtime: Runtime,
    host: str,
    port: int,
    *,
    ready: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    """Run the bot and the dashboard until SIGINT or SIGTERM, then stop them in order.

    `ready` is called with the dashboard's URL once both run. Raises WebhookRefused.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = _WebServer(
        uvicorn.Config(
            runtime.web,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=3,  # open simulator pages wait for news: don't wait on them
        )
    )
    try:
        async with started(runtime):
            web = asyncio.create_task(server.serve())
            try:
                async with running(runtime, poll_timeout=_poll_timeout(runtime)):
                    url = f"http://{host}:{port}/"
                    if ready is not None:
                        await ready(url)
                    log.info("bot running (%s); dashboard on %s; Ctrl-C stops", _mode(runtime), url)
                    await stop.wait()
                    log.info("stopping")
                    await _stop_web(server, web)  # first: no update accepted and left unhandled
            finally:
                await _stop_web(server, web)  # after a refused webhook; done already otherwise
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _poll_timeout(runtime: Runtime) -> int:
    return 10 if runtime.offline is not None else 30


def _mode(runtime: Runtime) -> str:
    if runtime.settings.webhook_url:
        return "webhook"
    return "offline simulator" if runtime.offline is not None else "polling"


async def _stop_web(server: uvicorn.Server, web: asyncio.Task[None]) -> None:
    server.should_exit = True
    await web


class _WebServer(uvicorn.Server):
    """uvicorn without signal handlers of its own: `serve` stops the bot and it together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
