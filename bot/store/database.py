"""Database engines and schema migrations.

SQLite (the embedded default) runs on SQLAlchemy's synchronous engine, inline on the event
loop: a statement on a local WAL file takes microseconds, less than handing it to a thread
(aiosqlite) and far less than SQLAlchemy's async bridge around it. The rule that follows:
a transaction never awaits real I/O, so every unit of work commits before anything is
sent. PostgreSQL runs on the async engine with asyncpg, for several processes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, make_url
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


class DatabaseUnavailable(Exception):
    """The database cannot be used: the message says why and what to do, for the operator,
    with the URL's password hidden."""


A_URL = "postgresql+asyncpg://user:password@host:5432/name"


def unusable_url(url: str | URL, error: Exception) -> DatabaseUnavailable:
    """A URL SQLAlchemy cannot parse, or whose driver is missing or not asynchronous."""
    try:
        driver = make_url(url).drivername
    except Exception:  # not a URL at all: say nothing of it, it may hold a password
        return DatabaseUnavailable(
            f"DATABASE_URL is not a database URL: give one like {A_URL}, or unset it for "
            "the embedded SQLite file."
        )
    if isinstance(error, ImportError):
        why = "whose driver is not installed"
    elif isinstance(error, NoSuchModuleError):
        why = "which is unknown"
    else:
        why = "whose driver is not asynchronous"
    return DatabaseUnavailable(
        f"DATABASE_URL names {driver}, {why}: give a URL like {A_URL}, or unset it for the "
        "embedded SQLite file."
    )


def unavailable(url: str | URL, error: Exception) -> DatabaseUnavailable:
    """What went wrong opening or migrating the database at `url`, in one sentence."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        reason = _reason(error)
        if "readonly" in reason or "unable to open" in reason:
            return DatabaseUnavailable(
                f"The database file {path} cannot be opened for writing ({reason}): make "
                f"its folder {path.parent} writable for this user."
            )
        return DatabaseUnavailable(f"The database file {path} cannot be used ({reason}).")
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    if code == "3D000":
        return DatabaseUnavailable(
            f"The database {parsed.database!r} does not exist on {where}: create it "
            f"(createdb {parsed.database}), or correct the name in DATABASE_URL."
        )
    if code in ("28000", "28P01"):
        return DatabaseUnavailable(
            f"The database server at {where} refused the connection ({_reason(error)}): "
            "check the user and password in DATABASE_URL."
        )
    if isinstance(error, OSError):
        return DatabaseUnavailable(
            f"Cannot reach the database server at {where} ({_reason(error)}): check the host "
            "and port in DATABASE_URL, and that PostgreSQL runs there."
        )
    return DatabaseUnavailable(
        f"The database {parsed.render_as_string(hide_password=True)} cannot be used "
        f"({_reason(error)})."
    )


def _reason(error: Exception) -> str:
    """The driver's words for `error`, without SQLAlchemy's statement and links."""
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "no answer"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_engine(url: str | URL) -> Engine:
    """A synchronous engine on a SQLite file, whatever driver the URL names.

    Engines hide statement parameters from error messages: they hold personal data.
    """
    parsed = make_url(url).set(drivername="sqlite+pysqlite")
    engine = create_sync_engine(parsed, hide_parameters=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def async_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "synchronous=NORMAL",
        # Deleted rows are overwritten with zeros, not left in free space: an erased person
        # is gone from the file once the write-ahead log is checkpointed (Store.scrub).
        "secure_delete=ON",
        "cache_size=-65536",  # 64 MiB of pages: a year of check-ins stays in memory
        # Fewer, larger checkpoints: each one syncs the file. Erasures do not wait for
        # them: Store.scrub checkpoints right after each one.
        "wal_autocheckpoint=10000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or another backend."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def checkpoint(path: Path) -> bool:
    """Copy SQLite's write-ahead log into the database file and empty the log; False if a
    reader kept part of it (the next checkpoint takes the rest).

    A passive checkpoint first copies what it can without holding up writers; the
    truncating one then blocks them only for what was written in between.
    """
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    return not busy


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def run_migrations(connection: Connection, revision: str = "head") -> None:
    """Bring the schema to `revision` over `connection` (Alembic's env.py uses it)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
