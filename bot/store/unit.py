"""One transaction (`Unit`) at a time from the database (`Store`).

SQLite runs inline on the event loop over a synchronous connection (see database.py);
`_InlineConnection` gives it the awaitable shape of SQLAlchemy's AsyncConnection, so the
queries are written once for both databases.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, InvalidRequestError
from sqlalchemy.sql.expression import Executable

from bot.store import statistics
from bot.store.database import (
    async_engine,
    checkpoint,
    is_sqlite,
    run_migrations,
    sqlite_engine,
    sqlite_path,
    unavailable,
    unusable_url,
)

log = logging.getLogger(__name__)
Params = dict[str, Any] | list[dict[str, Any]]  # one row, or many (executemany)


class Conflict(Exception):
    """Another writer got there first (a unique row, a newer version): read again and retry."""


class StaleSession(Conflict):
    """Another writer changed the session since it was read."""


class Store:
    """The database, handed out one transaction (`unit`) at a time."""

    def __init__(self, url: str, grant_caps: tuple[int, int | None] = (60_000, None)) -> None:
        """Raises DatabaseUnavailable for a URL that is no URL, or names a missing driver.

        `grant_caps`: the grant's caps of a case in no project, in cents, per person and
        per family member (the settings'); the statistics count them."""
        self.url = url
        try:
            self._sqlite = sqlite_engine(url) if is_sqlite(url) else None
            self._async = None if self._sqlite is not None else async_engine(url)
        except (ArgumentError, InvalidRequestError, ImportError) as error:
            raise unusable_url(url, error) from error
        self._held: Connection | None = None
        self.grant_caps = grant_caps

    @property
    def dialect(self) -> str:
        engine = self._sqlite or self._async
        assert engine is not None
        return engine.dialect.name

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """One transaction: committed at the end, rolled back on an exception."""
        try:
            async with self._transaction() as unit:
                yield unit
        except IntegrityError as error:
            raise Conflict(type(error).__name__) from None  # its text holds the row's values

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Unit]:
        if self._sqlite is not None:
            # One connection serves every unit in turn (units never overlap on one loop);
            # a unit opened inside another gets a connection of its own from the pool.
            if self._held is None:
                self._held = self._sqlite.connect()
            if self._held.in_transaction():
                with self._sqlite.begin() as connection:
                    unit = Unit(_InlineConnection(connection), grant_caps=self.grant_caps)
                    yield unit
                    await unit.settle()
                return
            with self._held.begin():
                unit = Unit(_InlineConnection(self._held), grant_caps=self.grant_caps)
                yield unit
                await unit.settle()
            return
        assert self._async is not None
        async with self._async.begin() as connection:
            unit = Unit(connection, connection.dialect.name, self.grant_caps)
            yield unit
            await unit.settle()

    async def upgrade(self, revision: str = "head") -> None:
        """Apply schema migrations up to `revision`. The first use of the database: raises
        DatabaseUnavailable when it cannot be reached, opened or written.

        A database whose cases have no statistics yet (an office upgrading to the version
        that keeps them) gets them here, once: the check is two index probes."""
        try:
            await self._upgrade(revision)
            if revision == "head":
                async with self.unit() as unit:
                    missing = await statistics.missing(unit)
                if missing:
                    count = await statistics.rebuild(self)
                    log.info("statistics: computed for %d existing case(s)", count)
        except (OSError, DBAPIError) as error:
            raise unavailable(self.url, error) from error

    async def _upgrade(self, revision: str) -> None:
        if self._sqlite is not None:
            with self._sqlite.begin() as connection:
                run_migrations(connection, revision)
            return
        assert self._async is not None
        async with self._async.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Processes starting together migrate one after the other, not in a race.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": 0x1A7E}
                )
            await connection.run_sync(run_migrations, revision)

    async def scrub(self) -> None:
        """Make erased rows gone from the disk, after the transaction that erased them.

        SQLite zeroes deleted rows (secure_delete) in the pages it writes to its
        write-ahead log, but older copies of those pages stay in the log until a
        checkpoint: this one copies the log into the database file and empties it. It runs
        in a thread, on a connection of its own, so the chats go on meanwhile. Nothing is
        done on PostgreSQL: its autovacuum reclaims deleted rows, and its own log is
        recycled by the server.
        """
        path = sqlite_path(self.url) if self._sqlite is not None else None
        if path is None or not path.exists():
            return
        if not await asyncio.to_thread(checkpoint, path):
            log.warning(
                "the write-ahead log was not emptied: a reader held it; the next scrub will"
            )

    async def close(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None
        if self._sqlite is not None:
            self._sqlite.dispose()
        if self._async is not None:
            await self._async.dispose()


class _InlineConnection:
    """What Unit uses of AsyncConnection, over a synchronous SQLite connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    async def execute(
        self, statement: Executable, parameters: Params | None = None
    ) -> CursorResult[Any]:
        return self._connection.execute(statement, parameters)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self._connection.begin_nested():
            yield


class _Connection(Protocol):
    async def execute(
        self, statement: Executable, parameters: Params | None = None, /
    ) -> CursorResult[Any]: ...

    def begin_nested(self) -> AbstractAsyncContextManager[Any]: ...


class Unit:
    """One transaction: the queries of bot.store's modules take it as their first argument."""

    def __init__(
        self,
        connection: _Connection,
        dialect: str = "sqlite",
        grant_caps: tuple[int, int | None] = (60_000, None),
    ) -> None:
        self.connection = connection
        self.grant_caps = grant_caps  # see Store.grant_caps
        self.dialect = dialect  # "sqlite" or "postgresql", for the few statements that differ
        # The cases whose reportable facts this transaction changed (see `touch`).
        self.touched: set[int] = set()

    def touch(self, case_id: int) -> None:
        """Note that a case's reportable facts changed: its statistics are refreshed."""
        self.touched.add(case_id)

    async def settle(self) -> None:
        """Just before the commit: refresh the statistics of the cases touched, in the same
        transaction, so the figures never lag behind what they count."""
        if self.touched:
            await statistics.refresh(self, self.touched)
            self.touched.clear()
