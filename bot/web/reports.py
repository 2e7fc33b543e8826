"""The reports page and its downloads (CSV, XLSX): anonymous figures, small cells hidden.

The page, its charts and both downloads show the same suppressed cells (bot/reports.py).
The downloads are plain GET links: they hold no personal data, only counts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.answers import status_label
from bot.flags import FLAGS
from bot.reports import Report, ReportFilter, Reports, Table
from bot.status import Status, parse
from bot.store import audit
from bot.web.export import neutralise
from bot.web.pages import Pages, parse_int
from bot.web.report_charts import chart_url

FILTER_KEYS = ("since", "until", "status", "flag", "nationality", "city", "source", "project",
               "funder")  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(value: object) -> str:
    """A "YYYY-MM" month within reason, or ""."""
    text = str(value or "")
    ok = len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit()
    return text if ok and "1900" <= text[:4] < "2200" and "01" <= text[5:] <= "12" else ""


def default_period(now: datetime) -> tuple[str, str]:
    """The last 12 months, this one included."""
    back = now.year * 12 + now.month - 1 - 11
    return f"{back // 12:04d}-{back % 12 + 1:02d}", f"{now.year:04d}-{now.month:02d}"


def report_filter(query: Any, now: datetime) -> ReportFilter:
    """The report's filter from query parameters; anything malformed is ignored, and the
    period is the last 12 months unless both ends are given."""
    since, until = _month(query.get("since")), _month(query.get("until"))
    if not since or not until:
        since, until = default_period(now)
    if since > until:
        since, until = until, since
    status = str(query.get("status", ""))
    return ReportFilter(
        since=since,
        until=until,
        status=status if parse(status) and status != Status.DUPLICATE else "",
        flag=str(query.get("flag", ""))[:40],
        nationality=str(query.get("nationality", "")).upper()[:2],
        city=str(query.get("city", ""))[:60],
        source=parse_int(query.get("source"), 0) or None,
        project=parse_int(query.get("project"), 0) or None,
        funder=str(query.get("funder", ""))[:200],
    )


def _query(f: ReportFilter) -> str:
    values = {key: getattr(f, key) for key in FILTER_KEYS}
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


class ReportsView:
    """GET /reports, /reports.csv and /reports.xlsx."""

    def __init__(self, pages: Pages, service: Reports) -> None:
        self.pages = pages
        self.service = service

    def routes(self) -> list[Route]:
        return [
            Route("/reports", self.page, methods=["GET"]),
            Route("/reports.csv", self.csv, methods=["GET"]),
            Route("/reports.xlsx", self.xlsx, methods=["GET"]),
        ]

    async def page(self, request: Request) -> Response:
        """The figures of the filter's cases: each chart with its table beside it."""
        account = await self.pages.signed_in(request)
        tr = self.pages.translator(request, account)
        f = report_filter(request.query_params, self.pages.clock())
        report = await self.service.report(f, tr)
        projects, funders, sources = await self.service.choices()
        labels_of = self.service.labels(tr)
        return self.pages.render(
            request,
            "reports.html",
            account,
            report=report,
            filters=f,
            query=_query(f),
            chart_url=chart_url,
            statuses=[(s.value, status_label(s, tr)) for s in Status if s is not Status.DUPLICATE],
            flag_names=[flag.name for flag in FLAGS],
            nationalities=sorted(
                ((code, tr.country(code)) for code in report.nationalities),
                key=lambda pair: pair[1],
            ),
            cities=[(str(code), labels_of.city(code)) for code in labels_of.cities()],
            sources=sorted(sources.items(), key=lambda pair: pair[1]),
            projects=projects,
            funders=funders,
        )

    async def csv(self, request: Request) -> Response:
        """Every table of the report in one CSV file: a title row before each, a blank line
        between them."""
        f, report = await self._download(request, "csv")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for number, table in enumerate(_tables(report)):
            if number:
                writer.writerow([])
            writer.writerow([neutralise(table.title)])
            for row in _lines(table):
                writer.writerow([neutralise(str(v)) if isinstance(v, str) else v for v in row])
        body = ("\ufeff" + buffer.getvalue()).encode()  # a BOM: spreadsheets then read UTF-8
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers=_attachment(f, "csv"))  # fmt: skip

    async def xlsx(self, request: Request) -> Response:
        """The report as a workbook: one sheet per section, its tables one after another."""
        f, report = await self._download(request, "xlsx")
        workbook = Workbook(write_only=True)
        for section in report.sections:
            sheet = workbook.create_sheet(section.title[:31])
            for number, table in enumerate(section.tables):
                if number:
                    sheet.append([])
                sheet.append([_text(sheet, table.title)])
                for row in _lines(table):
                    sheet.append([v if not isinstance(v, str) else _text(sheet, v) for v in row])
        buffer = io.BytesIO()
        workbook.save(buffer)  # a few small tables: quick, in memory
        return Response(buffer.getvalue(), media_type=XLSX, headers=_attachment(f, "xlsx"))

    async def _download(self, request: Request, kind: str) -> tuple[ReportFilter, Report]:
        account = await self.pages.signed_in(request)
        tr = self.pages.translator(request, account)
        f = report_filter(request.query_params, self.pages.clock())
        report = await self.service.report(f, tr)
        async with self.pages.store.unit() as unit:
            used = {k: v for k, v in asdict(f).items() if v not in ("", None)}
            await audit.record(unit, "reports.downloaded", self.pages.clock(),
                               actor=account.username, format=kind, filters=used)  # fmt: skip
        return f, report


def _tables(report: Report) -> list[Table]:
    return [table for section in report.sections for table in section.tables]


def _lines(table: Table) -> list[list[Any]]:
    """A table's header and rows: numbers as numbers, hidden cells as their text."""
    lines: list[list[Any]] = [[table.row_header, *table.columns]]
    for label, cells in table.rows:
        lines.append([label, *(c.number if c.number is not None else c.text for c in cells)])
    return lines


def _text(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=neutralise(value))
    cell.data_type = "s"  # text, never a formula
    return cell


def _attachment(f: ReportFilter, kind: str) -> dict[str, str]:
    name = f"report-{f.since}-{f.until}.{kind}"
    return {"content-disposition": f'attachment; filename="{name}"'}
