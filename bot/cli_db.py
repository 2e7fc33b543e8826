"""The `intake-bot db` commands (schema migrations, copies of the SQLite database) and
`intake-bot statistics rebuild`."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings

PG_TOOL = """\
This command copies the embedded SQLite database only. PostgreSQL has its own tool:

    {command}

It asks for the password, or reads it from PGPASSWORD or ~/.pgpass."""
RESTORE_IN_USE = """\
Nothing restored: the database is open in another process. Stop the bot (every process
that uses this database), then restore."""


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """`db upgrade`, `db backup` and `db restore`, under the command parser `commands`."""
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="apply schema migrations")
    db_upgrade.add_argument("revision", nargs="?", default="head")
    db_upgrade.set_defaults(handler=_db_upgrade)
    db_backup = db_commands.add_parser(
        "backup", help="copy the SQLite database to FILE, while the bot runs"
    )
    db_backup.add_argument("file", type=Path, help="the copy to write")
    db_backup.set_defaults(handler=_db_backup)
    db_restore = db_commands.add_parser(
        "restore", help="replace the SQLite database by a backup; stop the bot first"
    )
    db_restore.add_argument("file", type=Path, help="a copy made by 'db backup'")
    db_restore.set_defaults(handler=_db_restore)


def add_statistics(commands: argparse._SubParsersAction[Any]) -> None:
    """`statistics rebuild`, under the command parser `commands`."""
    statistics = commands.add_parser("statistics", help="the anonymous statistics of the reports")
    statistics_commands = statistics.add_subparsers(metavar="COMMAND", required=True)
    rebuild = statistics_commands.add_parser(
        "rebuild", help="compute the statistics of every case again, from the cases"
    )
    rebuild.set_defaults(handler=_statistics_rebuild)


async def _statistics_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import Store, statistics

    store = Store(settings.database(), settings.grant_caps())
    try:
        await store.upgrade()
        count = await statistics.rebuild(store)
    finally:
        await store.close()
    print(f"statistics computed again for {count} case(s)")
    return 0


async def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import Store

    store = Store(settings.database(), settings.grant_caps())
    await store.upgrade(args.revision)
    await store.close()
    print(f"database at {args.revision}")
    return 0


async def _db_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import copies
    from bot.store.database import is_sqlite

    url = settings.database()
    if not is_sqlite(url):
        print(PG_TOOL.format(command=copies.pg_dump(url, args.file)), file=sys.stderr)
        return 2
    try:
        copy = await asyncio.to_thread(copies.backup, url, args.file)
    except (OSError, sqlite3.Error) as error:
        print(f"No backup made: {error}", file=sys.stderr)
        return 1
    print(f"backup written to {copy}")
    return 0


async def _db_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import copies
    from bot.store.database import is_sqlite

    url = settings.database()
    if not is_sqlite(url):
        command = copies.pg_restore(url, args.file)
        print(PG_TOOL.format(command=command), file=sys.stderr)
        return 2
    try:
        revision = copies.restore(url, args.file)
    except copies.NotOurs as error:
        print(
            f"Nothing restored: {args.file} is not a backup of this bot: {error}.", file=sys.stderr
        )
        return 1
    except copies.InUse:
        print(RESTORE_IN_USE, file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as error:
        print(f"Nothing restored: {error}", file=sys.stderr)
        return 1
    print(f"restored {args.file} (schema {revision}); the bot updates the schema when it starts")
    return 0
