"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import Store
from bot.store.models import Base

# Foreign keys added to an existing SQLite table by ALTER TABLE: (table, column) -> the
# rule the table must hold (referred table, column, on delete).
ADDED_KEYS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("sessions", "followup_id"): ("followups", "followup_id", "CASCADE"),
    ("sessions", "source_id"): ("outreach_sources", "source_id", "SET NULL"),
    ("pre_registrations", "source_id"): ("outreach_sources", "source_id", "SET NULL"),
    ("pre_registrations", "assigned_to"): ("accounts", "assigned_to", "SET NULL"),
    ("pre_registrations", "duplicate_of"): ("pre_registrations", "duplicate_of", "SET NULL"),
    ("pre_registrations", "project_id"): ("projects", "project_id", "SET NULL"),
}


def differences(connection: Any) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": True}
    )
    found = []
    for diff in compare_metadata(context, Base.metadata):
        # SQLite reports a foreign key added with ALTER TABLE ... ADD COLUMN without its
        # name (migrations 0007, 0011, 0012 and 0020 add some so); their rules are checked below.
        kind = diff[0] if isinstance(diff, tuple) else None
        quirk = kind in ("add_fk", "remove_fk") and connection.dialect.name == "sqlite"
        if quirk and (diff[1].table.name, *[c.name for c in diff[1].columns]) in ADDED_KEYS:
            continue
        found.append(diff)
    return found


def sqlite_differences(connection: Any) -> list[Any]:
    """As `differences`, plus the foreign keys SQLite reports without their names."""
    missing = []
    for (table, _column), rule in ADDED_KEYS.items():
        keys = connection.exec_driver_sql(f"PRAGMA foreign_key_list({table})").fetchall()
        if rule not in {(k[2], k[3], k[6]) for k in keys}:
            missing.append(("missing_fk", table, rule))
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
