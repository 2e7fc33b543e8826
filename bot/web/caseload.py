"""Who works which case, in the dashboard: the priority inbox, the supervisors' workload
table, and taking, giving and acknowledging on the case page."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import flags
from bot.answers import status_label
from bot.caseload import Caseload, opened
from bot.casework import NoSuchCase, Refused
from bot.engine.flow import N_
from bot.roles import Role
from bot.store import Unit, accounts, caseload, priority
from bot.store.accounts import AccountRecord
from bot.web.pages import Pages, parse_int
from bot.web.supervisors import Supervisors

if TYPE_CHECKING:  # the case page includes this module's part: no import cycle
    from bot.web.case import CaseView

TIER_LABELS = {
    priority.Tier.RED_FLAG: N_("Red flag"),
    priority.Tier.UNREAD: N_("New message from the person"),
    priority.Tier.DUE: N_("Appointment due"),
    priority.Tier.NEW: N_("New request"),
}
SCOPE_LABELS = {
    priority.Scope.MINE: N_("My cases"),
    priority.Scope.UNASSIGNED: N_("Unassigned"),
    priority.Scope.ALL: N_("All cases"),
}


async def case_section(
    unit: Unit, case_id: int, account: AccountRecord, now: datetime
) -> dict[str, Any]:
    """The case page's part on who has the case; opening it as its caseworker reads the
    person's messages."""
    ownership = await opened(unit, case_id, account, now)
    everyone = await accounts.all_accounts(unit)
    names = {a.id: a.username for a in everyone}
    team = [a for a in everyone if a.active and a.role in (Role.CASEWORKER, Role.SUPERVISOR)]
    return {
        "ownership": ownership,
        "assignee_name": names.get(ownership.assignee) if ownership.assignee else None,
        "team": team,
        "red_flags": flags.RED,
    }


class CaseloadView:
    """The inbox, the workload table, and the case page's ownership actions."""

    def __init__(self, pages: Pages, supervisors: Supervisors, case: CaseView,
                 service: Caseload) -> None:  # fmt: skip
        self.pages = pages
        self.supervisors = supervisors
        self.case = case
        self.service = service
        self.store = pages.store

    def routes(self) -> list[Route]:
        return [
            Route("/inbox", self.inbox, methods=["GET"]),
            Route("/workload", self.workload, methods=["GET"]),
            Route("/cases/{reference}/assign", self.assign, methods=["POST"]),
            Route("/cases/{reference}/take", self.take, methods=["POST"]),
            Route(
                "/cases/{reference}/flags/{flag}/acknowledge", self.acknowledge, methods=["POST"]
            ),
        ]

    async def inbox(self, request: Request) -> Response:
        """What needs action, the most severe first: a caseworker's own cases by default."""
        account = await self.pages.signed_in(request)
        tr = self.pages.translator(request, account)
        # A supervisor's own work is giving out the cases nobody has.
        supervisor = account.role == Role.SUPERVISOR
        default = priority.Scope.UNASSIGNED if supervisor else priority.Scope.MINE
        asked = request.query_params.get("scope", "")
        scope = priority.Scope(asked) if asked in set(priority.Scope) else default
        number = parse_int(request.query_params.get("page"), 1)
        async with self.store.unit() as unit:
            page = await priority.page(unit, scope, account.id, self.pages.clock(), number)
        return self.pages.render(
            request,
            "inbox.html",
            account,
            page=page,
            scope=scope,
            scopes=[(s, tr.gettext(SCOPE_LABELS[s])) for s in priority.Scope],
            tier_label=lambda tier: tr.gettext(TIER_LABELS[tier]),
            status_label=lambda s: status_label(s, tr),
            page_link=lambda n: "?" + urlencode({"scope": scope.value, "page": n}),
        )

    async def workload(self, request: Request) -> Response:
        """Supervisors: each caseworker's open cases by status, red flags and unread messages."""
        account = await self.supervisors.supervisor(request)
        tr = self.pages.translator(request, account)
        async with self.store.unit() as unit:
            loads = await caseload.workload(unit, self.pages.clock())
        return self.pages.render(
            request,
            "workload.html",
            account,
            loads=loads,
            statuses=[(s, status_label(s, tr)) for s in caseload.OPEN],
        )

    async def assign(self, request: Request) -> Response:
        """A supervisor gives the case to someone, or to nobody."""
        account = await self.supervisors.supervisor(request)
        form = await self.pages.form(request)
        chosen = str(form.get("account", ""))
        target = parse_int(chosen, 0) if chosen else None
        return await self._act(
            request, account, lambda r: self.service.reassign(r, target, account), "assigned"
        )

    async def take(self, request: Request) -> Response:
        """A caseworker takes a case nobody has."""
        account = await self.pages.signed_in(request)
        await self.pages.form(request)
        return await self._act(
            request, account, lambda r: self.service.take(r, account), "assigned"
        )

    async def acknowledge(self, request: Request) -> Response:
        """A red flag seen to, with a note."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        flag = request.path_params["flag"]
        note = str(form.get("acknowledgement", ""))
        return await self._act(
            request,
            account,
            lambda r: self.service.acknowledge(r, flag, note, account),
            "acknowledged",
            typed={"flag": flag, "note": note},  # shown again if refused
        )

    async def _act(
        self, request: Request, account: AccountRecord, action: Any, saved: str, **kept: Any
    ) -> Response:
        """Run `action` on the case, then say it was `saved`; a refusal shows the case page
        with its reason and what was typed (`kept`)."""
        reference = request.path_params["reference"]
        tr = self.pages.translator(request, account)
        try:
            found = await action(reference)
        except NoSuchCase:
            raise HTTPException(404, N_("No such case.")) from None
        except Refused as refused:
            return await self.case.case(request, tr.gettext(refused.reason), 400, **kept)
        return RedirectResponse(f"/cases/{found.reference}?saved={saved}#caseload", 303)
