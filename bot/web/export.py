"""Exports of the queue's current filter: the cases and their family members as CSV
(streamed), or both as the two sheets of an XLSX file written to a temporary file.

Cases are read in batches by id (keyset pagination), each batch's related rows with one
query per table, so memory stays flat and the queries few whatever the number of cases.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import anyio.to_thread
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.engine import Flow
from bot.engine.checkins import Checkin
from bot.i18n import Translator
from bot.store import Store, exports, queue, sources
from bot.web.sheets import Batch, CaseSheet, Form, MemberSheet

CHUNK = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula is made plain text."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def csv_cell(value: str) -> str:
    """A cell as CSV writes it, formula neutralised: quoted (quotes doubled) when it holds a
    comma, a quote or a line break, as csv.QUOTE_MINIMAL does. Done once per distinct
    label, rows are then joined with commas, far faster than a writer per cell."""
    if value.startswith(_FORMULA_STARTS):
        value = "'" + value
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


_CSV_RISKS = re.compile(r'[,"\n\r]|(?:\A|\x00)[=+\-@\t]')  # what csv_cell changes


def _plain(values: list[Any], risks: re.Pattern[str]) -> bool:
    """Are these values all text that matches none of the risks? One search over them
    joined, instead of one call per cell."""
    try:
        joined = "\x00".join(values)
    except TypeError:  # not all text (a blank, a number)
        return False
    return risks.search(joined) is None


def _legal(value: str) -> str:
    """A cell without the control characters an XLSX file cannot hold."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", value))


class Export:
    """One export of a filter, in one caseworker's language, on one day."""

    def __init__(
        self,
        store: Store,
        flow: Flow,
        checkins: Sequence[Checkin],
        f: queue.CaseFilter,
        tr: Translator,
        today: date,
        default_caps: tuple[int, int | None] = (60_000, None),
    ) -> None:
        self.store, self.flow, self.checkins = store, flow, checkins
        self.f, self.tr, self.today = f, tr, today
        self.default_caps = default_caps

    async def case_sheet(self, form: Form) -> CaseSheet:
        async with self.store.unit() as unit:
            source_names = await sources.names(unit)
        return CaseSheet(
            self.flow, self.checkins, self.tr, self.today, form, source_names, self.default_caps
        )

    def member_sheet(self, form: Form) -> MemberSheet:
        return MemberSheet(self.flow, self.tr, self.today, form)

    async def batches(self) -> AsyncIterator[Batch]:
        """The filter's cases, newest first, a batch at a time with their related rows."""
        before: int | None = None
        while True:
            async with self.store.unit() as unit:
                found = await exports.cases(unit, self.f, before, CHUNK)
                ids = [case.id for case in found]
                batch = Batch(found)
                if ids:
                    span = (unit, self.f, ids[-1], ids[0])
                    batch.flags = await exports.flag_names(*span)
                    batch.reached = await exports.status_dates(*span)
                    batch.grants = await exports.grant_totals(*span)
                    batch.members = await exports.member_counts(*span)
                    for row in await exports.checkins(*span):
                        batch.checkins.setdefault(row.pre_registration_id, {})[row.checkin] = row
            yield batch
            if len(found) < CHUNK:
                return
            before = ids[-1]

    async def member_batches(self) -> AsyncIterator[Sequence[Any]]:
        """The family members of the filter's cases, a batch of cases at a time."""
        before: int | None = None
        while True:
            async with self.store.unit() as unit:
                ids = await exports.ids(unit, self.f, before, CHUNK)
                found = await exports.members(unit, self.f, ids[-1], ids[0]) if ids else []
            yield found
            if len(ids) < CHUNK:
                return
            before = ids[-1]

    async def case_rows(self, form: Form) -> AsyncIterator[Sequence[Sequence[Any]]]:
        """The header, then the cases' rows (of parts) a batch at a time."""
        sheet = await self.case_sheet(form)
        yield [sheet.header()]
        async for batch in self.batches():
            yield sheet.rows(batch)

    async def member_rows(self, form: Form) -> AsyncIterator[Sequence[Sequence[Any]]]:
        """The header, then the members' rows a batch at a time."""
        sheet = self.member_sheet(form)
        yield [sheet.header()]
        async for found in self.member_batches():
            yield list(sheet.rows(found))


def _flat(parts: Iterable[Any]) -> tuple[str, ...]:
    """Cells and tuples of cells as one tuple of cells."""
    return tuple(c for p in parts for c in (p if isinstance(p, tuple) else (p,)))


def _csv_plain(values: list[Any]) -> bool:
    return _plain(values, _CSV_RISKS)


CSV = Form(clean=csv_cell, glue=",".join, plain=_csv_plain)  # a part: its cells as CSV text
XLSX = Form(clean=_legal, glue=_flat, plain=lambda values: False)  # a part: a tuple of cells


async def _csv(rows: AsyncIterator[Sequence[Sequence[str]]]) -> AsyncIterator[bytes]:
    """CSV (with a BOM: spreadsheets then read UTF-8), a batch of rows per chunk; each cell
    is already quoted by `csv_cell`, each part joined."""
    first = True
    async for batch in rows:
        text = "".join([",".join(row) + "\r\n" for row in batch])
        if first:
            text, first = "\ufeff" + text, False
        yield text.encode()


def csv_stream(export: Export) -> AsyncIterator[bytes]:
    """The cases as CSV, formulas neutralised."""
    return _csv(export.case_rows(CSV))


def members_csv_stream(export: Export) -> AsyncIterator[bytes]:
    """The family members of the cases as CSV, formulas neutralised."""
    return _csv(export.member_rows(CSV))


def _append(sheet: WriteOnlyWorksheet, rows: Iterable[Sequence[Any]]) -> None:
    """Rows of text: empty cells left out, a text that looks like a formula kept as text."""
    for parts in rows:
        cells: list[Any] = []
        for value in _flat(parts):
            if not value:
                cells.append(None)
            elif value[0] in "=#":  # a formula, or an error code such as #N/A
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)


async def xlsx_file(export: Export) -> Path:
    """The export as an .xlsx file on disk, the cases then their family members (write-only:
    rows are not kept in memory). Every cell is text, so nothing in it can run as a formula.
    """
    tr = export.tr
    workbook = Workbook(write_only=True)
    cases = workbook.create_sheet(tr.gettext("Pre-registrations")[:31])
    async for batch in export.case_rows(XLSX):
        _append(cases, batch)
    people = workbook.create_sheet(tr.gettext("Family members")[:31])
    async for batch in export.member_rows(XLSX):
        _append(people, batch)
    descriptor, name = tempfile.mkstemp(prefix="export-", suffix=".xlsx")
    os.close(descriptor)
    path = Path(name)
    try:
        await anyio.to_thread.run_sync(workbook.save, name)  # compressing takes a while
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return path
