"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import Store
from bot.store.models import Base


def differences(connection: Any) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": True}
    )
    found = []
    for diff in compare_metadata(context, Base.metadata):
        # SQLite reports a foreign key added with ALTER TABLE ... ADD COLUMN without its
        # name (migration 0007 adds sessions.followup_id so); its rule is checked below.
        kind = diff[0] if isinstance(diff, tuple) else None
        quirk = kind in ("add_fk", "remove_fk") and connection.dialect.name == "sqlite"
        if quirk and [c.name for c in diff[1].columns] == ["followup_id"]:
            continue
        found.append(diff)
    return found


def sqlite_differences(connection: Any) -> list[Any]:
    """As `differences`, plus the foreign key SQLite reports without its name."""
    keys = connection.exec_driver_sql("PRAGMA foreign_key_list(sessions)").fetchall()
    rule = ("followups", "followup_id", "CASCADE")
    missing = [] if rule in {(k[2], k[3], k[6]) for k in keys} else [("missing_fk", rule)]
    return differences(connection) + missing


async def schema_differences(database_url: str) -> list[Any]:
    """What separates the database's schema from the models: nothing, when it is right."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        with engine.connect() as connection:
            found = sqlite_differences(connection)
        engine.dispose()
        return found
    engine_async = create_async_engine(database_url)
    async with engine_async.connect() as connection:
        found = await connection.run_sync(differences)
    await engine_async.dispose()
    return found


async def upgrade(database_url: str) -> None:
    """What every start-up does."""
    store = Store(database_url)
    await store.upgrade()
    await store.close()


async def test_migrations_match_the_models(database_url: str) -> None:
    await upgrade(database_url)
    assert await schema_differences(database_url) == []


async def test_migrations_are_idempotent(database_url: str) -> None:
    await upgrade(database_url)
    await upgrade(database_url)  # a second start-up changes nothing and does not fail
    assert await schema_differences(database_url) == []
