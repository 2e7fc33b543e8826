"""/simulator: try the bot in a phone drawn in the browser, for signed-in staff.

The page works with plain forms; its small script (static/simulator.js) posts them in the
background and waits for the phone's next change, so the bot's answers and edits appear as
they arrive. Only offered when the bot runs on the in-process Bot API (no Telegram token).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.chat.simulator import KINDS, Kind, Phone, Phones
from bot.engine.flow import N_
from bot.web.pages import Pages

MAX_TEXT = 4096
MAX_NAME = 64
WAIT_SECONDS = 20.0


class Simulator:
    def __init__(self, pages: Pages, phones: Phones | None) -> None:
        self.pages = pages
        self.phones = phones

    def routes(self) -> list[Route]:
        return [
            Route("/simulator", self.page, methods=["GET"]),
            Route("/simulator/phones", self.add_phone, methods=["POST"]),
            Route("/simulator/phones/{user_id:int}/screen", self.screen, methods=["GET"]),
            Route("/simulator/phones/{user_id:int}/send", self.send, methods=["POST"]),
            Route("/simulator/phones/{user_id:int}/tap", self.tap, methods=["POST"]),
        ]

    async def page(self, request: Request) -> Response:
        account = await self.pages.signed_in(request)
        phones = list(self.phones.phones.values()) if self.phones else []
        chosen = self._phone(request.query_params.get("phone")) if self.phones else None
        if chosen is None and phones:
            chosen = phones[-1]
        return self.pages.render(
            request,
            "simulator.html",
            account,
            available=self.phones is not None,
            phones=phones,
            phone=chosen,
        )

    async def add_phone(self, request: Request) -> Response:
        await self.pages.signed_in(request)
        form = await self.pages.form(request)
        phones = self._available()
        name = " ".join(str(form.get("name", "")).split())[:MAX_NAME] or "Awa"
        language = str(form.get("language", ""))
        phone = phones.add(name, language if language in self.pages.catalogs.languages else None)
        return RedirectResponse(f"/simulator?phone={phone.person.user_id}", 303)

    async def screen(self, request: Request) -> Response:
        """The phone's screen as HTML; with `since`, waits for a newer version first."""
        account = await self.pages.signed_in(request)
        phone = self._required(request)
        since = request.query_params.get("since", "")
        if since.isdigit():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WAIT_SECONDS):
                    await self._available().wait(phone, int(since))
            if phone.version <= int(since):
                return Response(status_code=204)
        response = self.pages.render(request, "_phone_screen.html", account, phone=phone)
        response.headers["x-phone-version"] = str(phone.version)
        return response

    async def send(self, request: Request) -> Response:
        await self.pages.signed_in(request)
        form = await self.pages.form(request)
        phone = self._required(request)
        kind = str(form.get("kind", "text"))
        text = str(form.get("text", ""))[:MAX_TEXT]
        if kind not in KINDS or (kind == "text" and not text.strip()):
            return self._done(request, phone)
        self._available().send(phone, cast(Kind, kind), text)
        return self._done(request, phone)

    async def tap(self, request: Request) -> Response:
        await self.pages.signed_in(request)
        form = await self.pages.form(request)
        phone = self._required(request)
        message_id = str(form.get("message", ""))
        if message_id.isdigit():
            self._available().tap(phone, int(message_id), str(form.get("data", "")))
        return self._done(request, phone)

    def _done(self, request: Request, phone: Phone) -> Response:
        """The page's script needs no body; a plain form goes back to the phone."""
        if request.headers.get("x-requested-with") == "simulator":
            return Response(status_code=204)
        return RedirectResponse(f"/simulator?phone={phone.person.user_id}", 303)

    def _available(self) -> Phones:
        if self.phones is None:
            raise HTTPException(404, N_("The simulator runs only without a Telegram token."))
        return self.phones

    def _phone(self, user_id: str | None) -> Phone | None:
        if self.phones is None or not user_id or not user_id.isdigit():
            return None
        return self.phones.get(int(user_id))

    def _required(self, request: Request) -> Phone:
        phone = self._available().get(request.path_params["user_id"])
        if phone is None:
            raise HTTPException(404, N_("No such simulated phone."))
        return phone
