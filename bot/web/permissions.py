"""Which permission each route of the dashboard needs, and the guard that asks for it.

Every route is listed here, by method and path as written in bot/web/app.py. A route not
listed is closed to everyone, and tests/test_permissions.py fails and says what to add.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.engine.flow import N_
from bot.roles import Permission, can
from bot.web.pages import Pages
from bot.web.webhook import WEBHOOK_PATH

P = Permission
PUBLIC: Final = None  # open without signing in
CHANGE_PASSWORD = "/password"

ROUTES: dict[tuple[str, str], Permission | None] = {
    # Open to anyone: signing in, the health check, Telegram's webhook (its own secret).
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("POST", WEBHOOK_PATH): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/password/reset/{token}"): PUBLIC,  # the one-time link is the proof
    ("POST", "/password/reset/{token}"): PUBLIC,
    # One's own account.
    ("GET", CHANGE_PASSWORD): P.OWN_ACCOUNT,
    ("POST", CHANGE_PASSWORD): P.OWN_ACCOUNT,
    ("GET", "/telegram"): P.OWN_ACCOUNT,  # an account's own chat for its notifications
    ("POST", "/telegram/code"): P.OWN_ACCOUNT,
    ("POST", "/telegram/unlink"): P.OWN_ACCOUNT,
    # Cases.
    ("GET", "/"): P.READ_CASES,
    ("GET", "/cases/{reference}"): P.READ_CASES,
    ("POST", "/cases/{reference}/status"): P.EDIT_CASES,
    ("POST", "/cases/{reference}/return"): P.EDIT_CASES,
    ("POST", "/cases/{reference}/notes"): P.WRITE_NOTES,
    ("POST", "/cases/{reference}/messages"): P.SEND_MESSAGES,
    ("POST", "/cases/{reference}/link"): P.LINK_CASES,
    ("POST", "/export.{kind:str}"): P.EXPORT_PERSONAL_DATA,
    ("POST", "/export/members.csv"): P.EXPORT_PERSONAL_DATA,
    # Appointments.
    ("GET", "/appointments"): P.READ_CASES,
    ("POST", "/cases/{reference}/appointments"): P.EDIT_CASES,
    ("POST", "/cases/{reference}/appointments/{appointment_id:id}/outcome"): P.EDIT_CASES,
    # Who has a case, and what needs action.
    ("GET", "/inbox"): P.READ_CASES,
    ("GET", "/workload"): P.ASSIGN_CASES,
    ("POST", "/cases/{reference}/assign"): P.ASSIGN_CASES,
    ("POST", "/cases/{reference}/take"): P.EDIT_CASES,
    ("POST", "/cases/{reference}/flags/{flag}/acknowledge"): P.EDIT_CASES,
    # Counselling: the checklist, and the family members as people of the case.
    ("POST", "/cases/{reference}/checklist"): P.EDIT_CASES,
    ("POST", "/cases/{reference}/members/{member_id:id}"): P.EDIT_CASES,
    # Message templates, and acting on several cases at once (each case as on its page).
    ("POST", "/cases/{reference}/template"): P.SEND_MESSAGES,
    ("GET", "/templates"): P.MANAGE_TEMPLATES,
    ("POST", "/templates"): P.MANAGE_TEMPLATES,
    ("GET", "/templates/{key}"): P.MANAGE_TEMPLATES,
    ("POST", "/templates/{key}"): P.MANAGE_TEMPLATES,
    ("GET", "/bulk"): P.EDIT_CASES,
    ("POST", "/bulk"): P.EDIT_CASES,
    ("POST", "/bulk/run"): P.EDIT_CASES,
    # Travel preparation.
    ("POST", "/cases/{reference}/travel"): P.EDIT_CASES,
    # Reintegration: the plan and the grant's ledger (an approval over the cap is checked
    # against OVERRIDE_GRANT_CAP by the service).
    ("POST", "/cases/{reference}/reintegration"): P.MANAGE_GRANTS,
    ("POST", "/cases/{reference}/grants"): P.MANAGE_GRANTS,
    ("POST", "/cases/{reference}/grants/{item_id:id}"): P.MANAGE_GRANTS,
    ("POST", "/cases/{reference}/grants/{item_id:id}/remove"): P.MANAGE_GRANTS,
    ("POST", "/cases/{reference}/grants/{item_id:id}/approve"): P.MANAGE_GRANTS,
    ("POST", "/cases/{reference}/grants/{item_id:id}/deliver"): P.MANAGE_GRANTS,
    # The phone simulator.
    ("GET", "/simulator"): P.USE_SIMULATOR,
    ("POST", "/simulator/phones"): P.USE_SIMULATOR,
    ("GET", "/simulator/phones/{user_id:int}/screen"): P.USE_SIMULATOR,
    ("POST", "/simulator/phones/{user_id:int}/send"): P.USE_SIMULATOR,
    ("POST", "/simulator/phones/{user_id:int}/tap"): P.USE_SIMULATOR,
    # Funded projects: read by everyone who reads cases, kept by supervisors.
    ("GET", "/projects"): P.READ_CASES,
    ("GET", "/projects/{project_id:id}"): P.READ_CASES,
    ("GET", "/projects/new"): P.MANAGE_PROJECTS,
    ("POST", "/projects"): P.MANAGE_PROJECTS,
    ("POST", "/projects/{project_id:id}"): P.MANAGE_PROJECTS,
    ("POST", "/projects/{project_id:id}/admit"): P.MANAGE_PROJECTS,
    # Reports: anonymous figures, for supervisors and monitoring.
    ("GET", "/reports"): P.READ_REPORTS,
    ("GET", "/reports.csv"): P.READ_REPORTS,
    ("GET", "/reports.xlsx"): P.READ_REPORTS,
    # Supervision.
    ("GET", "/audit"): P.READ_AUDIT,
    ("GET", "/accounts"): P.MANAGE_ACCOUNTS,
    ("POST", "/accounts"): P.MANAGE_ACCOUNTS,
    ("POST", "/accounts/{account_id:id}/active"): P.MANAGE_ACCOUNTS,
    ("POST", "/accounts/{account_id:id}/reset"): P.MANAGE_ACCOUNTS,
    ("GET", "/sources"): P.MANAGE_SOURCES,
    ("POST", "/sources"): P.MANAGE_SOURCES,
    ("GET", "/sources/{source_id:id}.{kind:str}"): P.MANAGE_SOURCES,
}

Endpoint = Callable[[Request], Awaitable[Response]]


def methods(route: Route) -> list[str]:
    """The methods a route answers, HEAD aside (it goes with GET)."""
    return sorted((route.methods or {"GET"}) - {"HEAD"})


def guard(pages: Pages, routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """The routes, each behind the check of the permission that ROUTES gives it."""
    return [
        Route(r.path, _guarded(pages, r.path, r.endpoint), methods=methods(r), name=r.name)
        if isinstance(r, Route)
        else r
        for r in routes
    ]


def _guarded(pages: Pages, path: str, endpoint: Endpoint) -> Endpoint:
    async def checked(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        if (method, path) not in ROUTES:  # fail closed: see tests/test_permissions.py
            raise HTTPException(403, N_("This page is closed: it has no permission entry."))
        needed = ROUTES[method, path]
        if needed is not PUBLIC:
            account = await pages.signed_in(request)
            # A temporary password opens only the page that replaces it.
            if account.must_change_password and needed is not P.OWN_ACCOUNT:
                raise HTTPException(303, headers={"Location": CHANGE_PASSWORD})
            if not can(account.role, needed):
                raise HTTPException(403, N_("Your role does not allow this."))
        return await endpoint(request)

    return checked
