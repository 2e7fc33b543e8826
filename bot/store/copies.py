"""Copies of the embedded SQLite database: a backup while the bot runs, a restore while it
is stopped. PostgreSQL has its own tools for both, pg_dump and pg_restore.

Both go through SQLite's online backup API, page by page inside one transaction: a backup
is the database as one moment saw it, whatever the bot writes meanwhile, and a restore
replaces the whole database at once or not at all, its write-ahead log included.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import make_url
from sqlalchemy.engine import URL

from bot.store.database import alembic_config, sqlite_path

HEADER = b"SQLite format 3\x00"
# The audit log's actions for the nightly backup's outcome, read by the supervisors' page.
MADE, FAILED = "backup.made", "backup.failed"


class NotOurs(Exception):
    """The file is not a database of this application; the message says why."""


class InUse(Exception):
    """Another connection has the database open: the bot is running."""


@dataclass(frozen=True)
class Copy:
    path: Path
    size: int  # bytes
    seconds: float

    def __str__(self) -> str:
        return f"{self.path}: {self.size / 1e6:.1f} MB in {self.seconds:.2f} s"


def backup(url: str | URL, target: Path) -> Copy:
    """Copy the SQLite database of `url` to `target` (readable by its owner only)."""
    start = time.monotonic()
    source = _file(url)
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    partial = target.with_name(target.name + ".partial")
    # Created empty first, so the copy is never readable by others, even for a moment.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        with _connect(source) as live, _connect(partial) as copy:
            live.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Copy(target, target.stat().st_size, time.monotonic() - start)


def check(path: Path) -> str:
    """The schema revision of a backup of this application; NotOurs if it is none."""
    try:
        with path.open("rb") as file:
            header = file.read(len(HEADER))
    except OSError as error:
        raise NotOurs(f"it cannot be read ({error.strerror})") from None
    if header != HEADER:
        raise NotOurs("it is not a SQLite database")
    try:
        with _connect(path, read_only=True) as copy:
            rows = copy.execute("SELECT version_num FROM alembic_version").fetchall()
            damaged = copy.execute("PRAGMA quick_check").fetchone()[0] != "ok"
    except sqlite3.Error as error:
        if "no such table" in str(error):
            raise NotOurs("it has no alembic_version table: not a database of this bot") from None
        raise NotOurs(f"SQLite cannot read it ({error})") from None
    if damaged or len(rows) != 1:
        raise NotOurs("it is damaged")
    revision = str(rows[0][0])
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise NotOurs(f"its schema ({revision}) is newer than this version of the bot")
    return revision


def restore(url: str | URL, backup: Path) -> str:
    """Replace the SQLite database of `url` by `backup`, checked first; its revision.

    Refuses (InUse) while any other connection has the database open, and holds it
    exclusively meanwhile, so no bot starts on a half-restored file.
    """
    revision = check(backup)
    target = _file(url)
    with _connect(target, timeout=0) as live:
        live.isolation_level = None
        live.execute("PRAGMA locking_mode=EXCLUSIVE")  # kept until closed, once taken
        try:
            live.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            raise InUse(str(target)) from None
        live.execute("COMMIT")
        with _connect(backup, read_only=True) as copy:
            copy.backup(live)
    return revision


def pg_dump(url: str | URL, target: Path) -> str:
    """The pg_dump command that backs up the PostgreSQL database of `url` (no password)."""
    return shlex.join(["pg_dump", "--format=custom", f"--file={target}", *_pg_options(url)])


def pg_restore(url: str | URL, backup: Path) -> str:
    """The pg_restore command that puts a pg_dump backup back (no password)."""
    options = ["--clean", "--if-exists", "--no-owner", "--single-transaction"]
    return shlex.join(["pg_restore", *options, *_pg_options(url), str(backup)])


def _pg_options(url: str | URL) -> list[str]:
    parsed = make_url(url)
    named = {"host": parsed.host, "port": parsed.port, "username": parsed.username}
    found = [f"--{name}={value}" for name, value in named.items() if value]
    return [*found, f"--dbname={parsed.database or ''}"]


def _file(url: str | URL) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise ValueError("only a SQLite database file is copied this way")
    return path


@contextlib.contextmanager
def _connect(
    path: Path, *, read_only: bool = False, timeout: float = 5
) -> Iterator[sqlite3.Connection]:
    where = f"{path.resolve().as_uri()}?mode=ro" if read_only else str(path)
    connection = sqlite3.connect(where, uri=read_only, timeout=timeout)
    try:
        yield connection
    finally:
        connection.close()
