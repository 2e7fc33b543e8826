"""The nightly backup: a copy of the SQLite database in a folder, the last few kept.

Each night's outcome goes to the audit log, which every process reads: the supervisors'
accounts page shows the last one, in red when it failed, and the log says so too. A
backup that fails is never silent.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.store import Store, audit, copies

log = logging.getLogger(__name__)
PATTERN = "intake-*.db"  # what the folder holds of ours; anything else is left alone


class Backups:
    """Copies of the database in `folder`, the newest `keep` of them kept."""

    def __init__(
        self, store: Store, folder: Path, keep: int, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.folder = folder
        self.keep = keep
        self.clock = clock

    async def run(self) -> copies.Copy | None:
        """Make tonight's copy and delete the oldest; None if it failed (logged, audited)."""
        now = self.clock()
        target = self.folder / PATTERN.replace("*", f"{now:%Y%m%d-%H%M%S}")
        try:
            copy = await asyncio.to_thread(self._copy, target)
        except (OSError, sqlite3.Error) as error:
            reason = type(error).__name__
            log.error("nightly backup to %s failed: %s", self.folder, reason)
            async with self.store.unit() as unit:
                await audit.record(unit, copies.FAILED, now, actor="backup", error=reason)
            return None
        log.info("nightly backup: %s", copy)
        async with self.store.unit() as unit:
            await audit.record(
                unit, copies.MADE, now, actor="backup", bytes=copy.size, file=target.name
            )
        return copy

    async def job(self, context: Any = None) -> None:
        await self.run()

    def _copy(self, target: Path) -> copies.Copy:
        self.folder.mkdir(parents=True, exist_ok=True)
        copy = copies.backup(self.store.url, target)
        prune(self.folder, self.keep)
        return copy


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `folder` (their names sort by date)."""
    old = sorted(folder.glob(PATTERN))[:-keep]
    for path in old:
        path.unlink()
    return old
