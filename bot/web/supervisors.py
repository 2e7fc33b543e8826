"""The supervisors' pages: the audit log and the accounts."""

from __future__ import annotations

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.engine.flow import N_
from bot.passwords import MIN_PASSWORD, hash_password, weakness
from bot.roles import ROLES, Role
from bot.store import accounts, audit, copies
from bot.store.accounts import AccountRecord
from bot.web.pages import Pages, parse_int

# How far back the accounts page looks for the nightly backup's last outcome.
BACKUP_WINDOW = timedelta(days=7)


class Supervisors:
    """Pages only supervisors may open."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.store = pages.store
        self.clock = pages.clock

    async def supervisor(self, request: Request) -> AccountRecord:
        account = await self.pages.signed_in(request)
        if account.role != Role.SUPERVISOR:
            raise HTTPException(403, N_("Only supervisors may open this page."))
        return account

    async def audit_page(self, request: Request) -> Response:
        account = await self.supervisor(request)
        page = parse_int(request.query_params.get("page"), 1)
        async with self.store.unit() as unit:
            entries = await audit.log(unit, page)
        return self.pages.render(request, "audit.html", account, entries=entries, page=page)

    async def accounts_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        account = await self.supervisor(request)
        async with self.store.unit() as unit:
            everyone = await accounts.all_accounts(unit)
            since = self.clock() - BACKUP_WINDOW
            backup = await audit.latest(unit, (copies.MADE, copies.FAILED), since)
        return self.pages.render(
            request,
            "accounts.html",
            account,
            status,
            accounts=everyone,
            roles=list(Role),
            error=error,
            min_password=MIN_PASSWORD,
            backup=backup,
            backup_failed=backup is not None and backup.action == copies.FAILED,
        )

    async def create_account(self, request: Request) -> Response:
        account = await self.supervisor(request)
        form = await self.pages.form(request)
        tr = self.pages.translator(request, account)
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        role = str(form.get("role", ""))
        language = str(form.get("language", ""))
        known = role in ROLES and language in self.pages.catalogs.languages
        if not username or len(username) > 64 or not known:
            return await self.accounts_page(request, tr.gettext("Check the name and role."), 400)
        if (weak := weakness(password)) is not None:
            return await self.accounts_page(request, tr.gettext(weak, n=MIN_PASSWORD), 400)
        now = self.clock()
        async with self.store.unit() as unit:
            if await accounts.by_username(unit, username) is not None:
                error = tr.gettext("This name is taken.")
                return await self.accounts_page(request, error, 400)
            created = await accounts.add_account(
                unit,
                username,
                await run_in_threadpool(hash_password, password),
                role,
                language,
                now,
            )
            await audit.record(
                unit, "account.created", now, actor=account.username, role=role, account=created.id
            )
        return RedirectResponse("/accounts", 303)

    async def toggle_account(self, request: Request) -> Response:
        account = await self.supervisor(request)
        form = await self.pages.form(request)
        target = parse_int(str(request.path_params["account_id"]), 0)
        active = form.get("active") == "1"
        if target == account.id and not active:
            raise HTTPException(400, N_("You cannot deactivate your own account."))
        async with self.store.unit() as unit:
            await accounts.set_active(unit, target, active)
            action = "account.activated" if active else "account.deactivated"
            await audit.record(unit, action, self.clock(), actor=account.username, account=target)
        return RedirectResponse("/accounts", 303)
