"""`intake-bot run` refusing to start: one sentence saying what is wrong and what to do,
a non-zero exit, no traceback (unless --debug) and no secret, in a real process."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bot.chat.transport import OfflineBotAPI

PASSWORD = "pw-never-shown"
TOKEN = "123456:token-never-shown"


@dataclass
class Outcome:
    returncode: int
    stderr: str
    stdout: str

    def refused(self, *words: str) -> str:
        """The one sentence (two at most) of a refused start, which names the problem."""
        assert self.returncode != 0, self.stderr
        assert "Traceback" not in self.stderr, self.stderr
        lines = self.stderr.strip().splitlines()
        assert 1 <= len(lines) <= 3, self.stderr
        for word in words:
            assert word in self.stderr, self.stderr
        for secret in (PASSWORD, TOKEN, TOKEN.split(":")[1]):
            assert secret not in self.stderr + self.stdout
        return self.stderr


async def run(tmp_path: Path, *args: str, prefix: tuple[str, ...] = (), **env: str) -> Outcome:
    """`intake-bot run ARGS` with a fresh data directory and no token, to its end."""
    environment = {**os.environ, "INTAKE_DATA_DIR": str(tmp_path / "data"), **env}
    environment.setdefault("INTAKE_PORT", str(free_port()))
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL"):
        if name not in env:
            environment.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        *prefix, sys.executable, "-m", "bot.cli", "run", *args,
        cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Outcome(process.returncode, err.decode(), out.decode())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_server() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: no PostgreSQL to refuse a database")
    return str(make_url(url).set(password=PASSWORD))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("not a url", ["DATABASE_URL is not a database URL"]),
        (f"postgresql+asyncpg://intake:{PASSWORD}@127.0.0.1:1/intake", ["127.0.0.1:1", "reach"]),
        (f"mysql://intake:{PASSWORD}@127.0.0.1/intake", ["DATABASE_URL names mysql"]),
    ],
)
async def test_a_wrong_or_unreachable_database_is_one_sentence(
    tmp_path: Path, url: str, words: list[str]
) -> None:
    (await run(tmp_path, DATABASE_URL=url)).refused(*words)


async def test_a_missing_postgres_database_is_named(tmp_path: Path) -> None:
    name = f"missing_{uuid.uuid4().hex[:12]}"
    url = str(make_url(postgres_server()).set(database=name))
    said = (await run(tmp_path, DATABASE_URL=url)).refused(f"{name!r} does not exist")
    assert f"createdb {name}" in said


async def test_debug_keeps_the_traceback(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://intake:{PASSWORD}@127.0.0.1:1/intake"
    outcome = await run(tmp_path, "--debug", DATABASE_URL=url)
    assert outcome.returncode != 0
    assert "Traceback" in outcome.stderr and "DatabaseUnavailable" in outcome.stderr


def read_only(folder: Path) -> tuple[str, ...]:
    """A command prefix under which `folder` cannot be written, whoever runs the tests."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return ()
    # Permissions do not stop root: a read-only bind mount, in a mount namespace of its own.
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-m", "true"]).returncode != 0:
        pytest.skip("running as root without unshare: no way to make a folder read-only")
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    return (unshare, "-m", "sh", "-c", script, str(folder))


async def test_a_read_only_data_directory_is_one_sentence(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    said = (await run(tmp_path, prefix=read_only(data))).refused(str(data), "writable")
    assert "cannot be opened for writing" in said


async def test_a_data_directory_that_cannot_be_made_is_one_sentence(tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    parent.mkdir()
    data = parent / "data"
    outcome = await run(tmp_path, prefix=read_only(parent), INTAKE_DATA_DIR=str(data))
    outcome.refused(f"Cannot create the data directory {data}", "INTAKE_DATA_DIR")


@pytest.mark.parametrize("status", [401, 404])
async def test_a_token_telegram_refuses_is_one_sentence(
    local_telegram: tuple[OfflineBotAPI, str], tmp_path: Path, status: int
) -> None:
    api, base_url = local_telegram
    api.fail("getMe", status, "Unauthorized" if status == 401 else "Not Found")
    outcome = await run(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=base_url)
    outcome.refused("Telegram refused the bot token", "TELEGRAM_BOT_TOKEN")


async def test_telegram_out_of_reach_is_one_sentence(tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/bot"
    outcome = await run(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=base_url)
    outcome.refused("Cannot reach Telegram", "TELEGRAM_API_BASE_URL")


async def test_a_taken_port_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        outcome = await run(tmp_path, INTAKE_PORT=str(port))
    outcome.refused(f"port {port}", "taken", "INTAKE_PORT")


async def test_a_wrong_setting_is_one_sentence_and_help_still_works(tmp_path: Path) -> None:
    (await run(tmp_path, INTAKE_PORT="eighty")).refused("INTAKE_PORT", "integer")
    helped = await run(tmp_path, "--help", INTAKE_PORT="eighty")
    assert helped.returncode == 0 and "--log-level" in helped.stdout
