"""`intake-bot run` in a real process, polling a local Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import httpx

from bot.chat.transport import OfflineBotAPI
from tests.helpers import RemotePhone, token, wait_for, wait_for_port
from tests.walker import complete_intake

TOKEN = "123456:local-test-token"


async def test_run_polls_answers_and_stops_cleanly_on_sigterm(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path
) -> None:
    api, base_url = local_telegram
    with socket.socket() as probe:  # a free port for the dashboard
        probe.bind(("127.0.0.1", 0))
        dashboard_port = probe.getsockname()[1]
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "INTAKE_DATA_DIR": str(tmp_path),
        "INTAKE_LOG_LEVEL": "DEBUG",
        "INTAKE_PORT": str(dashboard_port),
    }
    env.pop("DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await wait_for(lambda: any(c[0] == "getUpdates" for c in api.calls))
        assert set(api.commands) == {"", "en", "fr"}
        person = api.person(42, "Awa", "fr")
        api.deliver(person.text("/start"))
        await wait_for(lambda: len(person.inbox) == 1)
        assert person.last.text == "Choisissez votre langue."
        api.deliver(person.tap("English"))
        await wait_for(lambda: len(person.inbox) == 2)
        assert person.inbox[0].text.endswith("✅ English")
        assert person.last.text.startswith("IOM can help you return home")
        async with httpx.AsyncClient() as client:  # the dashboard, in the same process
            login = await client.get(f"http://127.0.0.1:{dashboard_port}/login")
        assert login.status_code == 200 and "csrf_token" in login.text
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    log = stderr.decode()
    assert process.returncode == 0, log[-3000:]
    assert "Traceback" not in log
    assert "stopping" in log
    assert TOKEN.split(":")[1] not in log + stdout.decode()  # the token never reaches the logs


async def test_run_in_webhook_mode_checks_the_secret(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path
) -> None:
    api, base_url = local_telegram
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = f"http://127.0.0.1:{port}/telegram/webhook"
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "INTAKE_DATA_DIR": str(tmp_path),
        "INTAKE_PORT": str(port),
    }
    env.pop("DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--webhook-url", hook,
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    person = api.person(43, "Awa", "en")
    try:
        await wait_for(lambda: api.webhook is not None)
        assert api.webhook is not None and api.webhook["url"] == hook
        secret = api.webhook["secret_token"]
        assert secret and not any(c[0] == "getUpdates" for c in api.calls)  # no polling
        async with httpx.AsyncClient() as client:
            await wait_for_port(client, port)
            wrong = await client.post(
                hook, json=person.text("/start"), headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
            )
            missing = await client.post(hook, json=person.text("/start"))
            assert (wrong.status_code, missing.status_code) == (403, 403)
            right = await client.post(
                hook,
                json=person.text("/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
            assert right.status_code == 200
        await wait_for(lambda: len(person.inbox) == 1)
        assert person.last.text == "Choose your language."
        # Clients drop an idle connection after 5 s (httpx) or 60 s (nginx); the server
        # must not close it first, or a request sent at that moment fails.
        assert await statuses_on_one_connection(port, idle=6) == [200, 200]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()[-3000:]
    assert "Traceback" not in stderr.decode()
    # Only the accepted update reached the database.
    import sqlite3

    with sqlite3.connect(tmp_path / "intake.db") as db:
        assert db.execute("SELECT count(*) FROM people").fetchone() == (1,)


async def statuses_on_one_connection(port: int, idle: float) -> list[int]:
    """GET /login twice on one HTTP/1.1 connection, idle for `idle` seconds in between."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    statuses = []
    try:
        for pause in (0, idle):
            await asyncio.sleep(pause)
            writer.write(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")  # fails if the server closed it
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            assert length is not None
            await reader.readexactly(int(length[1]))
            statuses.append(int(head.split()[1]))
    finally:
        writer.close()
        await writer.wait_closed()
    return statuses


async def test_an_intake_over_real_http_survives_a_restart(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path
) -> None:
    """Polling end to end: a whole intake, SIGTERM mid-way, a restart, then the request."""
    api, base_url = local_telegram
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": base_url,
        "INTAKE_DATA_DIR": str(tmp_path),
        "INTAKE_PORT": "0",
    }
    env.pop("DATABASE_URL", None)

    async def start() -> asyncio.subprocess.Process:
        calls = len(api.calls)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await wait_for(lambda: any(c[0] == "getUpdates" for c in api.calls[calls:]))
        return process

    async def stop(process: asyncio.subprocess.Process) -> None:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0 and "Traceback" not in stderr.decode()

    person = api.person(44, "Awa", "en")

    async def send(update: dict[str, object]) -> None:
        count = len(person.inbox)
        api.deliver(update)
        await wait_for(lambda: len(person.inbox) > count)

    process = await start()
    await send(person.text("/start"))
    for label in ("English", "I agree", "Yes"):
        await send(person.tap(label))
    await send(person.text("Awa Diallo"))
    await send(person.tap("Female"))
    await stop(process)  # mid-intake

    process = await start()

    # The same question, answered after the restart; then the rest, and the request sent.
    async def deliver(update: dict[str, object]) -> None:
        api.deliver(update)

    remote = RemotePhone(person, post=deliver, wait=wait_for)
    await complete_intake(remote, date_of_birth="01/01/1990", phone="+22376123456")
    await stop(process)

    process = await start()
    await send(person.text("/status"))
    assert "Received: a caseworker will study your request" in person.last.text
    await stop(process)
    import sqlite3

    with sqlite3.connect(tmp_path / "intake.db") as db:
        row = db.execute("SELECT full_name, date_of_birth, phone FROM pre_registrations").fetchone()
    assert row == ("Awa Diallo", "1990-01-01", "+22376123456")


async def test_run_without_a_token_is_a_working_product_offline(tmp_path: Path) -> None:
    """No token: the dashboard, a first supervisor, and the simulator on the bot itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "INTAKE_DATA_DIR": str(tmp_path), "INTAKE_PORT": str(port)}
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL"):
        env.pop(name, None)

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    async def stop(process: asyncio.subprocess.Process) -> tuple[str, str]:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, err.decode()[-3000:]
        assert "Traceback" not in err.decode()
        return out.decode(), err.decode()

    process = await start()
    assert process.stdout is not None
    printed = ""
    async with asyncio.timeout(30):
        while "Password:" not in printed:
            printed += (await process.stdout.readline()).decode()
    assert f"Dashboard:  http://127.0.0.1:{port}/" in printed
    password = printed.split("Password:")[1].strip()
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        await wait_for_port(client, port)
        login = await client.get("/login")
        signed_in = await client.post(
            "/login", data={"username": "admin", "password": password, "csrf_token": token(login)}
        )
        assert signed_in.status_code == 303
        page = await client.get("/simulator")
        added = await client.post(
            "/simulator/phones", data={"name": "Awa", "language": "fr", "csrf_token": token(page)}
        )
        phone = added.headers["location"].split("phone=")[1]
        sent = await client.post(
            f"/simulator/phones/{phone}/send",
            data={"kind": "text", "text": "/start", "csrf_token": token(page)},
        )
        assert sent.status_code == 303
        screen = ""
        async with asyncio.timeout(10):
            while "Choisissez votre langue." not in screen:
                screen = (await client.get(f"/simulator/phones/{phone}/screen?since=1")).text
    out, err = await stop(process)
    assert password not in err  # shown once on the terminal, never logged

    again = await start()
    async with httpx.AsyncClient() as client:
        await wait_for_port(client, port)
    out, _ = await stop(again)
    assert "Simulator:" in out and "Password:" not in out  # the account exists now
