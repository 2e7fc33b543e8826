"""Start and stop a wired runtime: PTB, its updates, the dashboard's server, the database.

PTB's manual order: initialise, start receiving updates, start the application (and its
job queue); stop in reverse. The dashboard's server starts before updates are received,
so a webhook finds it listening, and stops first, so no update is accepted that the
application would no longer handle.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import uvicorn
from telegram.error import InvalidToken, TelegramError

from bot.app import Runtime

log = logging.getLogger("bot")

# The updates the bot handles; anything else Telegram keeps to itself.
# my_chat_member: a person blocking the bot, or letting it write again.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]

# Longer than clients keep an idle connection (httpx 5 s, an nginx upstream pool 60 s), so
# the client is the one to close it. With uvicorn's default of 5 s, which equals httpx's,
# a request sent on an idle connection just as the server closes it fails outright.
KEEP_ALIVE_SECONDS = 75


class StartupError(Exception):
    """What the bot needs around it is refused or missing (Telegram, the token, the
    dashboard's address): the message says what to do, and quotes no secret."""


class WebhookRefused(StartupError):
    """Telegram did not accept the webhook's URL."""


@contextlib.asynccontextmanager
async def started(runtime: Runtime) -> AsyncIterator[Runtime]:
    """PTB initialised with its command menus; on leaving, PTB shut down and the store closed.

    Raises StartupError when Telegram refuses the token or cannot be reached.
    """
    try:
        await runtime.start()
    except TelegramError as error:
        await runtime.stop()
        raise _telegram_refused(runtime, error) from error.__cause__
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
    await runtime.outbox.release()
    handling = asyncio.create_task(runtime.inbox.handle(), name="inbox")
    receiving = (
        None
        if url
        else asyncio.create_task(runtime.inbox.poll(poll_timeout, ALLOWED_UPDATES), name="poll")
    )
    try:
        await application.start()
        await runtime.outbox.send_waiting(timedelta(0))  # what an earlier run left
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

    `ready` is called with the dashboard's URL once both run. Raises StartupError (the
    port is taken, Telegram refuses the token or the webhook) with everything stopped.
    """
    try:
        listening = _listen(host, port)  # before anything starts: a taken port stops it all
    except StartupError:
        await runtime.stop()
        raise
    port = listening.getsockname()[1]  # the one chosen, for port 0
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
        with listening:
            async with started(runtime):
                web = asyncio.create_task(server.serve(sockets=[listening]))
                try:
                    async with running(runtime, poll_timeout=_poll_timeout(runtime)):
                        url = (
                            f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
                        )
                        if ready is not None:
                            await ready(url)
                        log.info(
                            "bot running (%s); dashboard on %s; Ctrl-C stops", _mode(runtime), url
                        )
                        await stop.wait()
                        log.info("stopping")
                        _wind_down(runtime)
                        await _stop_web(server, web)  # first: no update accepted, unhandled
                finally:
                    await _stop_web(server, web)  # after a refused webhook; done otherwise
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _wind_down(runtime: Runtime) -> None:
    """Tell what would hold the stop up to finish: the dispatcher's run (however many rows
    are due), the outbox's sending (however many messages wait) and the simulator's pages
    waiting for news (uvicorn would wait for them)."""
    runtime.dispatcher.stop()
    runtime.outbox.stop()
    if runtime.phones is not None:
        runtime.phones.close()


def _telegram_refused(runtime: Runtime, error: TelegramError) -> StartupError:
    # PTB's message for a refused token quotes the token: never show it.
    if isinstance(error, InvalidToken):
        return StartupError(
            "Telegram refused the bot token: check TELEGRAM_BOT_TOKEN, or ask @BotFather "
            "for the bot's token again (/token)."
        )
    server = urlsplit(runtime.settings.telegram_api_base_url)
    address = f"{server.scheme}://{server.hostname}" + (f":{server.port}" if server.port else "")
    reason = error.message
    token = runtime.settings.telegram_bot_token
    if token is not None:
        reason = reason.replace(token.get_secret_value(), "***")
    return StartupError(
        f"Cannot reach Telegram at {address} ({reason}): check this machine's network, "
        "or TELEGRAM_API_BASE_URL."
    )


def _listen(host: str, port: int) -> socket.socket:
    """The dashboard's listening socket, bound before anything starts, so that a port in
    use stops the start-up with one sentence (uvicorn would log and exit on its own)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host, port), family=family)
    except OverflowError:
        raise StartupError(f"{port} is no port: give one from 1 to 65535.") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            problem = (
                f"The dashboard's port {port} on {host} is taken by another program: stop "
                "that program, or choose another port"
            )
        elif error.errno == errno.EACCES:
            problem = (
                f"This user may not listen on port {port} (ports under 1024 need "
                "privileges): choose another port"
            )
        else:
            reason = os.strerror(error.errno).lower() if error.errno else type(error).__name__
            problem = (
                f"The dashboard cannot listen on {host} port {port} ({reason}): give an "
                "address of this machine with --host or INTAKE_HOST, or another port"
            )
        raise StartupError(f"{problem} with --port or INTAKE_PORT.") from error


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
