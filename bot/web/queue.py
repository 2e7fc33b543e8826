"""The queue of cases, its filters, and its exports."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse

from bot import flags
from bot.answers import status_label
from bot.engine import Flow, fold
from bot.engine.checkins import Followups
from bot.engine.flow import N_
from bot.status import Status, parse
from bot.store import audit, projects, queue, sources
from bot.web import export
from bot.web.export import Export
from bot.web.pages import Pages, parse_date, parse_int

FILTER_KEYS = (
    "status", "flag", "nationality", "city", "source", "since", "until", "q", "priority",
    "assigned", "project", "funder",
)  # fmt: skip


class Queue:
    """The list of cases a caseworker works through, and its CSV and XLSX exports."""

    def __init__(
        self,
        pages: Pages,
        flow: Flow,
        followups: Followups | None = None,
        default_caps: tuple[int, int | None] = (60_000, None),
    ) -> None:
        self.pages = pages
        self.default_caps = default_caps  # the grant's caps of a case in no project, in cents
        self.store = pages.store
        self.clock = pages.clock
        self.flow = flow
        self.checkins = followups.checkins if followups is not None else ()

    async def queue(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        query = request.query_params
        tr = self.pages.translator(request, account)
        search = query.get("q", "").strip()
        filters = case_filter(query, account.id)
        async with self.store.unit() as unit:
            page = await queue.page(unit, filters)
            nationalities = await queue.nationalities(unit)
            source_names = await sources.names(unit)
            funded = await projects.every(unit)
        city_step = self.flow.step("current_city")
        return self.pages.render(
            request,
            "queue.html",
            account,
            page=page,
            filters=filters,
            q=search,
            statuses=[(s, status_label(s, tr)) for s in Status],
            flag_names=_flag_names(self.flow),
            nationalities=[(code, tr.country(code)) for code in nationalities],
            cities=[(o.value, tr.gettext(o.label)) for o in city_step.options],
            sources=sorted(source_names.items(), key=lambda item: item[1].casefold()),
            projects=[(p.id, p.name) for p in funded],
            funders=sorted({f for p in funded for f in p.funders}, key=str.casefold),
            status_label=lambda s: status_label(s, tr),
            page_link=lambda n: "?" + urlencode({**dict(query), "page": n}),
            export_filters=[(k, query[k]) for k in FILTER_KEYS if query.get(k)],
        )

    async def export(self, request: Request) -> Response:
        """The filter posted with the CSRF token as CSV (streamed) or XLSX (the cases and
        their family members); audited without the search terms.

        A POST form, not a link: another site could make a signed-in caseworker's browser
        follow a link, download every case, and leave the audit blaming the caseworker.
        """
        kind = request.path_params["kind"]
        if kind not in ("csv", "xlsx"):
            await self.pages.signed_in(request)
            raise HTTPException(404, N_("No such export."))
        made = await self._export(request, kind)
        stamp = self.clock().strftime("%Y%m%d-%H%M")
        if kind == "csv":
            return StreamingResponse(
                export.csv_stream(made),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="cases-{stamp}.csv"'},
            )
        path = await export.xlsx_file(made)
        return FileResponse(
            path,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"cases-{stamp}.xlsx",
            background=BackgroundTask(path.unlink),
        )

    async def export_members(self, request: Request) -> Response:
        """The family members of the posted filter's cases as CSV, one row per person."""
        made = await self._export(request, "members.csv")
        stamp = self.clock().strftime("%Y%m%d-%H%M")
        return StreamingResponse(
            export.members_csv_stream(made),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="members-{stamp}.csv"'},
        )

    async def _export(self, request: Request, kind: str) -> Export:
        """The posted filter's export, audited (the search text may be a name: not recorded)."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        query = {k: v for k, v in form.items() if k in FILTER_KEYS and isinstance(v, str)}
        filters = case_filter(query, account.id)
        tr = self.pages.translator(request, account)
        used = {k: ("…" if k == "q" else v) for k, v in query.items() if v}
        now = self.clock()
        async with self.store.unit() as unit:
            await audit.record(
                unit, "cases.exported", now, actor=account.username, format=kind, filters=used
            )
        return Export(
            self.store, self.flow, self.checkins, filters, tr, now.date(), self.default_caps
        )


def case_filter(query: Any, me: int | None = None) -> queue.CaseFilter:
    """The queue's filter from query parameters, `me` the account looking; anything malformed
    is ignored."""
    search = str(query.get("q", "")).strip()[:100]
    assigned = query.get("assigned", "")
    return queue.CaseFilter(
        status=query.get("status", "") if parse(query.get("status", "")) else "",
        flag=query.get("flag", ""),
        nationality=query.get("nationality", "").upper()[:2],
        city=query.get("city", ""),
        source=parse_int(query.get("source"), 0) or None,
        since=parse_date(query.get("since")),
        until=parse_date(query.get("until")),
        search=search,
        search_key=fold(search),
        priority_first=query.get("priority") == "1",
        assigned_to=me if assigned == "me" else None,
        unassigned=assigned == "none",
        project=parse_int(query.get("project"), 0) or None,
        funder=str(query.get("funder", "")).strip()[:100],
        page=parse_int(query.get("page"), 1),
    )


def _flag_names(flow: Flow) -> list[str]:
    """The queue's flag filter: the conversation's flags, then every other known one."""
    names = [rule.flag for rule in flow.flags]
    return list(dict.fromkeys([*names, *flags.BY_NAME]))
