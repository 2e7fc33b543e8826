"""Passwords in the dashboard: a supervisor's reset, the one-time link's page, and the
page where an account changes its own (the only page a temporary password opens)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.accounts import LINK_LIFETIME, Accounts, PasswordRefused
from bot.engine.flow import N_
from bot.passwords import MIN_PASSWORD
from bot.store import accounts
from bot.web.pages import Pages, parse_int


class Passwords:
    def __init__(self, pages: Pages, service: Accounts) -> None:
        self.pages = pages
        self.service = service

    def routes(self) -> list[Route]:
        return [
            Route("/password", self.change_page, methods=["GET"]),
            Route("/password", self.change, methods=["POST"]),
            Route("/password/reset/{token}", self.link_page, methods=["GET"], name="reset_link"),
            Route("/password/reset/{token}", self.use_link, methods=["POST"]),
            Route("/accounts/{account_id:id}/reset", self.reset, methods=["POST"]),
        ]

    async def change_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        account = await self.pages.signed_in(request)
        return self.pages.render(
            request, "password.html", account, status, error=error, min_password=MIN_PASSWORD
        )

    async def change(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        token = request.session.get("sign_in")
        try:
            await self.service.change_password(
                account,
                token if isinstance(token, str) else None,
                str(form.get("current", "")),
                str(form.get("new", "")),
                str(form.get("repeat", "")),
            )
        except PasswordRefused as refused:
            tr = self.pages.translator(request, account)
            return await self.change_page(request, tr.gettext(refused.reason, n=MIN_PASSWORD), 400)
        return RedirectResponse("/", 303)

    async def link_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        works = await self.service.link_works(request.path_params["token"])
        return self.pages.render(
            request,
            "password_reset.html",
            None,
            status if works else 404,
            works=works,
            error=error,
            min_password=MIN_PASSWORD,
        )

    async def use_link(self, request: Request) -> Response:
        form = await self.pages.form(request)
        try:
            await self.service.use_link(
                request.path_params["token"], str(form.get("new", "")), str(form.get("repeat", ""))
            )
        except PasswordRefused as refused:
            tr = self.pages.translator(request, None)
            return await self.link_page(request, tr.gettext(refused.reason, n=MIN_PASSWORD), 400)
        return RedirectResponse("/login", 303)

    async def reset(self, request: Request) -> Response:
        """A supervisor's reset: the link or the temporary password is shown once, here."""
        account = await self.pages.signed_in(request)
        form = await self.pages.form(request)
        target = parse_int(str(request.path_params["account_id"]), 0)
        kind = form.get("kind")
        if kind not in ("link", "temporary"):
            raise HTTPException(400, N_("Choose a link or a temporary password."))
        try:
            if kind == "link":
                token = await self.service.reset_link(account, target)
                secret = str(request.url_for("reset_link", token=token))
            else:
                secret = await self.service.temporary_password(account, target)
        except PasswordRefused as refused:
            raise HTTPException(400, refused.reason) from None
        async with self.pages.store.unit() as unit:
            named = await accounts.by_id(unit, target)
        return self.pages.render(
            request,
            "password_made.html",
            account,
            kind=kind,
            secret=secret,
            username=named.username if named else "",
            hours=int(LINK_LIFETIME.total_seconds() // 3600),
        )
