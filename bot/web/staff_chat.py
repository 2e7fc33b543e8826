"""The signed-in account's Telegram notifications: a one-time code to link its chat with
the bot, and unlinking it."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.duty import STAFF_START, Code, Duty
from bot.engine.flow import N_
from bot.web.pages import Pages


class StaffChat:
    """GET /telegram, POST /telegram/code and POST /telegram/unlink, for any account."""

    def __init__(
        self, pages: Pages, duty: Duty | None, bot_username: Callable[[], str | None]
    ) -> None:
        self.pages = pages
        self.duty = duty
        self.bot_username = bot_username  # for the t.me link, once Telegram told it

    def _duty(self) -> Duty:
        if self.duty is None:
            raise HTTPException(404, N_("This page does not exist."))
        return self.duty

    async def page(self, request: Request, code: Code | None = None) -> Response:
        account = await self.pages.signed_in(request)
        linked_at = await self._duty().linked_at(account.id)
        username = self.bot_username()
        deep_link = None
        if code is not None and username:
            deep_link = f"https://t.me/{username}?start={STAFF_START}{code.code}"
        return self.pages.render(
            request,
            "staff_chat.html",
            account,
            linked_at=linked_at,
            code=code,
            deep_link=deep_link,
            bot_username=username,
        )

    async def new_code(self, request: Request) -> Response:
        """A code shown once, on the page this answers with (never in a URL)."""
        account = await self.pages.signed_in(request)
        await self.pages.form(request)
        code = await self._duty().new_code(account.id, account.username)
        return await self.page(request, code)  # every page is sent `no-store`

    async def unlink(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        await self.pages.form(request)
        await self._duty().unlink(account.id, account.username)
        return RedirectResponse("/telegram", 303)
