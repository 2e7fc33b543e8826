"""Outreach sources: supervisors make a partner's link to the bot, with its QR code to print."""

from __future__ import annotations

import io
from collections.abc import Callable

import segno
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.engine.flow import N_
from bot.store import audit, sources
from bot.web.supervisors import Supervisors

MAX_NAME = 100
# A printed code must survive a crease or a smudge on a poster: 15 % of it may be lost.
QR_ERROR = "m"


def link(username: str, code: str) -> str:
    """The deep link that opens the bot with the source's code (`/start <code>`)."""
    return f"https://t.me/{username}?start={code}"


def qr_code(target: str, kind: str) -> bytes:
    """The link's QR code as SVG or PNG, large enough to print."""
    qr = segno.make(target, error=QR_ERROR, micro=False)
    buffer = io.BytesIO()
    if kind == "svg":
        qr.save(buffer, kind="svg", scale=10, border=4)
    else:
        qr.save(buffer, kind="png", scale=16, border=4)
    return buffer.getvalue()


class Sources:
    """The sources page, a new source, and each source's QR code."""

    def __init__(self, supervisors: Supervisors, bot_username: Callable[[], str | None]) -> None:
        self.supervisors = supervisors
        self.pages = supervisors.pages
        self.store = supervisors.store
        self.clock = supervisors.clock
        self.bot_username = bot_username  # the bot's Telegram name, once Telegram told it

    async def page(self, request: Request, error: str = "", status: int = 200) -> Response:
        account = await self.supervisors.supervisor(request)
        async with self.store.unit() as unit:
            every = await sources.everything(unit)
        username = self.bot_username()
        return self.pages.render(
            request,
            "sources.html",
            account,
            status,
            sources=every,
            links={s.id: link(username, s.code) for s in every} if username else {},
            error=error,
            max_name=MAX_NAME,
        )

    async def create(self, request: Request) -> Response:
        account = await self.supervisors.supervisor(request)
        form = await self.pages.form(request)
        name = " ".join(str(form.get("name", "")).split())
        if not name or len(name) > MAX_NAME:
            tr = self.pages.translator(request, account)
            return await self.page(request, tr.gettext("Give the source a name."), 400)
        now = self.clock()
        async with self.store.unit() as unit:
            made = await sources.add(unit, name, sources.new_code(), account.username, now)
            await audit.record(unit, "source.created", now, actor=account.username, source=made.id)
        return RedirectResponse("/sources", 303)

    async def qr(self, request: Request) -> Response:
        """GET /sources/{id}.svg or .png: the source's link as a QR code."""
        await self.supervisors.supervisor(request)
        kind = request.path_params["kind"]
        if kind not in ("svg", "png"):
            raise HTTPException(404, N_("This page does not exist."))
        async with self.store.unit() as unit:
            source = await sources.by_id(unit, request.path_params["source_id"])
        username = self.bot_username()
        if source is None or username is None:
            raise HTTPException(404, N_("This page does not exist."))
        media = "image/svg+xml" if kind == "svg" else "image/png"
        return Response(qr_code(link(username, source.code), kind), media_type=media)
