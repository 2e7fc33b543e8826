"""Signing in and out, and choosing the dashboard's language."""

from __future__ import annotations

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.engine.flow import N_
from bot.passwords import verify_password
from bot.store import accounts, audit
from bot.web.auth import Throttle
from bot.web.pages import HOME, Pages, safe_next

SIGN_IN_LIFETIME = timedelta(hours=12)  # a working day; then the caseworker signs in again


class SignIn:
    """The login page, logging in and out, and the language switch."""

    def __init__(self, pages: Pages, throttle: Throttle) -> None:
        self.pages = pages
        self.store = pages.store
        self.clock = pages.clock
        self.throttle = throttle

    async def login_page(self, request: Request) -> Response:
        if await self.pages.account(request) is not None:
            return RedirectResponse(HOME, 303)
        return self.pages.render(request, "login.html", None, next=safe_next(request.query_params))

    async def login(self, request: Request) -> Response:
        form = await self.pages.form(request)
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        address = request.client.host if request.client else "unknown"
        now = self.clock()
        next_url = safe_next(form)
        keys = self.throttle.keys(username, address)
        since = now - self.throttle.window
        # The attempt is committed before it is counted, so attempts made at the same time,
        # on any process, count each other: no more than the limit reach the password check.
        async with self.store.unit() as unit:
            attempt = await accounts.add_sign_in_attempt(unit, keys, now, since)
        async with self.store.unit() as unit:
            refused = self.throttle.refused(
                await accounts.sign_in_attempts(unit, keys, since), keys
            )
            if refused:  # a refused attempt is not one more failure
                await accounts.drop_sign_in_attempt(unit, attempt)
            account = await accounts.by_username(unit, username)
        if refused:
            tr = self.pages.translator(request, None)
            error = tr.gettext("Too many failed attempts. Wait 15 minutes, then try again.")
            return self.pages.render(request, "login.html", None, 429, error=error, next=next_url)
        # argon2 takes tens of milliseconds: off the event loop, like any slow work.
        stored = account.password_hash if account else None
        ok = await run_in_threadpool(verify_password, stored, password)
        async with self.store.unit() as unit:
            token = None
            if account is not None and ok and account.active:
                # None if the account was deactivated while the password was checked.
                token = await accounts.sign_in(unit, account.id, now, SIGN_IN_LIFETIME)
            if account is None or token is None:  # the attempt stays, as a failure
                await audit.record(unit, "account.login_failed", now, actor="dashboard")
                tr = self.pages.translator(request, None)
                error = tr.gettext("Wrong username or password.")
                return self.pages.render(
                    request, "login.html", None, 401, error=error, next=next_url
                )
            previous = request.session.get("sign_in")
            if isinstance(previous, str):  # signing in again, or as someone else
                await accounts.sign_out(unit, previous)
            # This address's failures for the account are forgiven; the address's and the
            # account's totals stay, or a right password would reset a guesser's count.
            await accounts.forget_failed_sign_ins(unit, keys.pair)
            await accounts.drop_sign_in_attempt(unit, attempt)
            await audit.record(unit, "account.login", now, actor=account.username)
        request.session.clear()  # a new session at login: no fixation
        request.session["sign_in"] = token
        return RedirectResponse(next_url, 303)

    async def logout(self, request: Request) -> Response:
        await self.pages.form(request)
        token = request.session.get("sign_in")
        if isinstance(token, str):  # a copy of the cookie stops working too
            async with self.store.unit() as unit:
                await accounts.sign_out(unit, token)
        request.session.clear()
        return RedirectResponse("/login", 303)

    async def language(self, request: Request) -> Response:
        form = await self.pages.form(request)
        language = str(form.get("language", ""))
        if language not in self.pages.catalogs.languages:
            raise HTTPException(400, N_("Unknown language."))
        account = await self.pages.account(request)
        if account is not None:
            async with self.store.unit() as unit:
                await accounts.set_language(unit, account.id, language)
        request.session["language"] = language
        return RedirectResponse(safe_next(form), 303)
