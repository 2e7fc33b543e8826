"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

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


async def test_migrations_match_the_models(database_url: str) -> None:
    store = Store(database_url)
    await store.upgrade()
    await store.close()
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        with engine.connect() as connection:
            assert differences(connection) == []
            keys = connection.exec_driver_sql("PRAGMA foreign_key_list(sessions)").fetchall()
            assert ("followups", "followup_id", "CASCADE") in {(k[2], k[3], k[6]) for k in keys}
        engine.dispose()
        return
    from sqlalchemy.ext.asyncio import create_async_engine

    engine_async = create_async_engine(database_url)
    async with engine_async.connect() as connection:
        assert await connection.run_sync(differences) == []
    await engine_async.dispose()
