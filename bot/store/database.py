"""Database engines and schema migrations.

SQLite (the embedded default) runs on SQLAlchemy's synchronous engine, inline on the event
loop: a statement on a local WAL file takes microseconds, less than handing it to a thread
(aiosqlite) and far less than SQLAlchemy's async bridge around it. The rule that follows:
a transaction never awaits real I/O, so every unit of work commits before anything is
sent. PostgreSQL runs on the async engine with asyncpg, for several processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, make_url
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


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
        "cache_size=-65536",  # 64 MiB of pages: a year of check-ins stays in memory
        "wal_autocheckpoint=10000",  # fewer, larger checkpoints: each one syncs the file
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def run_migrations(connection: Connection, revision: str = "head") -> None:
    """Bring the schema to `revision` over `connection` (Alembic's env.py uses it)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
