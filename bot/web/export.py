"""Exports of the queue's current filter: CSV streamed, XLSX written to a temporary file.

Both read the cases in chunks, so memory stays flat whatever the number of cases.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio.to_thread
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from bot.answers import format_answer, status_label
from bot.engine import Flow, Kind, Step
from bot.i18n import Translator
from bot.store import Store, queue, sources

CHUNK = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula is made plain text."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def header(flow: Flow, tr: Translator) -> list[str]:
    fields = [tr.gettext("Reference"), tr.gettext("Status"), tr.gettext("Received")]
    fields += [tr.gettext(step.review_label) for step in _exported_steps(flow)]
    return [*fields, tr.gettext("Flags"), tr.gettext("Outreach source")]


def _exported_steps(flow: Flow) -> list[Any]:
    skip = (Kind.LANGUAGE, Kind.CONSENT, Kind.INFO, Kind.REVIEW, Kind.REPEAT)
    return [step for step in flow.steps if step.kind not in skip]


async def rows(
    store: Store, flow: Flow, f: queue.CaseFilter, tr: Translator
) -> AsyncIterator[list[str]]:
    steps = _exported_steps(flow)
    formatted: dict[tuple[str, Any], str] = {}  # most answers repeat: format each once

    def cell(step: Step, value: Any) -> str:
        if step.kind in (Kind.TEXT, Kind.PHONE):  # free text: as typed, nothing to cache
            return format_answer(step, value, tr)
        key = (step.id, tuple(value) if isinstance(value, list) else value)
        if key not in formatted:
            formatted[key] = format_answer(step, value, tr)
        return formatted[key]

    async with store.unit() as unit:
        source_names = await sources.names(unit)
    before: int | None = None
    while True:
        async with store.unit() as unit:
            chunk = await queue.export_chunk(unit, f, before, CHUNK)
        for case in chunk:
            answers = case["answers"]
            values = [
                case["reference"],
                status_label(case["status"], tr),
                case["created_at"].strftime("%Y-%m-%d %H:%M"),
                *(cell(step, answers.get(step.id)) for step in steps),
                ", ".join(case["flags"]),
                source_names.get(case["source_id"], ""),
            ]
            yield values
        if len(chunk) < CHUNK:
            return
        before = chunk[-1]["id"]


async def csv_stream(
    store: Store, flow: Flow, f: queue.CaseFilter, tr: Translator
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(flow, tr))
    yield ("\ufeff" + buffer.getvalue()).encode()  # a BOM: spreadsheets then read UTF-8
    async for values in rows(store, flow, f, tr):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(value) for value in values])
        yield buffer.getvalue().encode()


async def xlsx_file(store: Store, flow: Flow, f: queue.CaseFilter, tr: Translator) -> Path:
    """The export as an .xlsx file on disk (write-only: rows are not kept in memory).

    Every cell is written as text, so nothing in it can run as a formula.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(tr.gettext("Pre-registrations")[:31])

    def text_cells(values: list[str]) -> list[WriteOnlyCell]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
            cells.append(cell)
        return cells

    sheet.append(text_cells(header(flow, tr)))
    async for values in rows(store, flow, f, tr):
        sheet.append(text_cells(values))
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
