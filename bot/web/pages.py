"""What every page shares: the signed-in account, checked forms, translation, rendering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from bot import flags
from bot.answers import flag_label
from bot.engine.flow import N_
from bot.i18n import Catalogs, Translator, language_name
from bot.roles import LABELS as ROLE_LABELS
from bot.roles import ROLES, Permission, Role, can
from bot.store import Store, accounts
from bot.store.accounts import AccountRecord
from bot.web.auth import CSRF_FIELD, csrf_token, csrf_valid

HERE = Path(__file__).parent
Clock = Callable[[], datetime]


class Pages:
    """The helpers of every page, bound to the store and the catalogs."""

    def __init__(self, store: Store, catalogs: Catalogs, clock: Clock, simulator: bool) -> None:
        self.store = store
        self.catalogs = catalogs
        self.clock = clock
        self.simulator = simulator  # whether the menu offers the phone simulator
        self.templates = Jinja2Templates(directory=HERE / "templates")

    async def account(self, request: Request) -> AccountRecord | None:
        # Looked up once a request: the permission guard and the page ask in turn.
        if "intake.account" in request.scope:
            return request.scope["intake.account"]  # type: ignore[no-any-return]
        token = request.session.get("sign_in")
        if not isinstance(token, str):
            return None
        async with self.store.unit() as unit:
            account = await accounts.by_sign_in(unit, token, self.clock())
        found = account if account is not None and account.active else None
        request.scope["intake.account"] = found
        return found

    async def signed_in(self, request: Request) -> AccountRecord:
        account = await self.account(request)
        if account is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(303, headers={"Location": "/login?" + urlencode({"next": target})})
        return account

    async def form(self, request: Request) -> FormData:
        """The submitted form, after its CSRF token is checked (403 if wrong or missing)."""
        form = await request.form()
        if not csrf_valid(request.session, form.get(CSRF_FIELD)):
            raise HTTPException(
                403, N_("The form has expired. Go back, reload the page, try again.")
            )
        return form

    def translator(self, request: Request, account: AccountRecord | None) -> Translator:
        if account is not None:
            return self.catalogs.translator(account.language)
        language = request.session.get("language")
        return self.catalogs.translator(language if isinstance(language, str) else None)

    def render(
        self,
        request: Request,
        template: str,
        account: AccountRecord | None,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        tr = self.translator(request, account)
        context.update(
            _=tr.gettext,
            tr=tr,
            account=account,
            csrf=csrf_token(request.session),
            languages=self.catalogs.languages,
            language_name=language_name,
            flag_label=lambda flag: flag_label(flag, tr),
            simulator=self.simulator,
            flag_style=flags.style,
            Role=Role,
            Permission=Permission,
            can=lambda permission: account is not None and can(account.role, permission),
            role_label=lambda role: _role_label(role, tr),
        )
        return self.templates.TemplateResponse(request, template, context, status_code=status_code)

    async def error_page(self, request: Request, error: Exception) -> Response:
        """An HTTP error as a page in the reader's language (redirects pass through)."""
        assert isinstance(error, HTTPException)
        if error.status_code < 400:
            return Response(status_code=error.status_code, headers=error.headers)
        account = await self.account(request)
        tr = self.translator(request, account)
        known = error.detail != HTTPStatus(error.status_code).phrase
        message = tr.gettext(error.detail) if known else tr.gettext("This page does not exist.")
        return self.render(request, "error.html", account, error.status_code, message=message)


HOME = "/inbox"  # where a sign-in leads: what needs action, a caseworker's own cases first


def safe_next(params: Any) -> str:
    """Only a path on this site: never an open redirect."""
    target = str(params.get("next", "") or HOME)
    return target if target.startswith("/") and not target.startswith("//") else HOME


def parse_date(value: str | None) -> date | None:
    """An ISO date within reason, or None for anything else."""
    try:
        parsed = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or date(1900, 1, 1) <= parsed < date(2200, 1, 1) else None


def parse_int(value: str | None, default: int) -> int:
    """A small non-negative number, or `default` for anything else."""
    ok = value and value.isascii() and value.isdigit() and len(value) <= 6
    return int(value) if ok and value else default


def _role_label(role: str, tr: Translator) -> str:
    return tr.gettext(ROLE_LABELS[Role(role)]) if role in ROLES else role
