"""The dashboard's Starlette application: login, the queue, the case page."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import workflow
from bot.answers import (
    CHECKIN_STATUS_LABELS,
    FOLLOWUP_FLAGS,
    REASON_LABELS,
    STATUS_LABELS,
    flag_label,
    format_answer,
    status_label,
)
from bot.chat.simulator import Phones
from bot.engine import Flow, Kind, fold
from bot.engine.checkins import Followups
from bot.engine.flow import N_
from bot.followups.service import schedule_case
from bot.followups.zones import valid_zone, zone_for, zones_of
from bot.i18n import Catalogs, Translator, language_name
from bot.store import Store, cases
from bot.store import accounts as account_store
from bot.store import followups as followup_rows
from bot.store.accounts import AccountRecord
from bot.web import export
from bot.web.auth import (
    CSRF_FIELD,
    MIN_PASSWORD,
    Throttle,
    csrf_token,
    csrf_valid,
    hash_password,
    verify_password,
)
from bot.web.simulator import Simulator

HERE = Path(__file__).parent
Clock = Callable[[], datetime]
Notify = Callable[[int, str], Awaitable[bool]]  # (telegram id, text) -> delivered?
AskAgain = Callable[[int, list[str]], Awaitable[bool]]  # (case id, step ids) -> asked?
Updates = Callable[[dict[str, Any]], Awaitable[None]]  # a Telegram update, to be handled
WEBHOOK_PATH = "/telegram/webhook"
MAX_UPDATE_BYTES = 1_000_000
SIGN_IN_LIFETIME = timedelta(hours=12)  # a working day; then the caseworker signs in again
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),  # pages and exports hold personal data
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the dashboard's security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


class Dashboard:
    """The pages, bound to the store, the flow and the catalogs."""

    def __init__(
        self,
        store: Store,
        flow: Flow,
        catalogs: Catalogs,
        clock: Clock,
        notify: Notify,
        ask_again: AskAgain,
        office: str,
        notified: frozenset[str],
        throttle: Throttle,
        updates: Updates | None = None,
        webhook_secret: str | None = None,
        phones: Phones | None = None,
        followups: Followups | None = None,
    ) -> None:
        self.store = store
        self.flow = flow
        self.catalogs = catalogs
        self.clock = clock
        self.notify = notify
        self.ask_again = ask_again
        self.office = office
        self.notified = notified
        self.updates = updates
        self.webhook_secret = webhook_secret
        self.simulator = Simulator(self, phones)
        self.followups = followups
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.throttle = throttle

    # Helpers

    async def account(self, request: Request) -> AccountRecord | None:
        token = request.session.get("sign_in")
        if not isinstance(token, str):
            return None
        async with self.store.unit() as unit:
            account = await account_store.by_sign_in(unit, token, self.clock())
        return account if account is not None and account.active else None

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
            simulator=self.simulator.phones is not None,
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

    # Pages

    async def webhook(self, request: Request) -> Response:
        """Telegram's updates, when the bot runs with a webhook: checked, queued, answered."""
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        secret = self.webhook_secret
        if secret is None or not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        if int(request.headers.get("content-length") or 0) > MAX_UPDATE_BYTES:
            return Response(status_code=413)
        try:
            update = await request.json()
        except ValueError:
            return Response(status_code=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return Response(status_code=400)
        assert self.updates is not None
        await self.updates(update)  # queued: processing happens after the answer
        return Response(status_code=200)

    async def login_page(self, request: Request) -> Response:
        if await self.account(request) is not None:
            return RedirectResponse("/", 303)
        return self.render(request, "login.html", None, next=_safe_next(request.query_params))

    async def login(self, request: Request) -> Response:
        form = await self.form(request)
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        address = request.client.host if request.client else "unknown"
        now = self.clock()
        next_url = _safe_next(form)
        keys = self.throttle.keys(username, address)
        since = now - self.throttle.window
        # The attempt is committed before it is counted, so attempts made at the same time,
        # on any process, count each other: no more than the limit reach the password check.
        async with self.store.unit() as unit:
            attempt = await account_store.add_sign_in_attempt(unit, keys, now, since)
        async with self.store.unit() as unit:
            refused = self.throttle.refused(
                await account_store.sign_in_attempts(unit, keys, since), keys
            )
            if refused:  # a refused attempt is not one more failure
                await account_store.drop_sign_in_attempt(unit, attempt)
            account = await account_store.by_username(unit, username)
        if refused:
            tr = self.translator(request, None)
            error = tr.gettext("Too many failed attempts. Wait 15 minutes, then try again.")
            return self.render(request, "login.html", None, 429, error=error, next=next_url)
        # argon2 takes tens of milliseconds: off the event loop, like any slow work.
        stored = account.password_hash if account else None
        ok = await run_in_threadpool(verify_password, stored, password)
        async with self.store.unit() as unit:
            token = None
            if account is not None and ok and account.active:
                # None if the account was deactivated while the password was checked.
                token = await account_store.sign_in(unit, account.id, now, SIGN_IN_LIFETIME)
            if account is None or token is None:  # the attempt stays, as a failure
                await unit.audit("account.login_failed", now, actor="dashboard")
                tr = self.translator(request, None)
                error = tr.gettext("Wrong username or password.")
                return self.render(request, "login.html", None, 401, error=error, next=next_url)
            previous = request.session.get("sign_in")
            if isinstance(previous, str):  # signing in again, or as someone else
                await account_store.sign_out(unit, previous)
            await account_store.forget_failed_sign_ins(unit, keys[0])  # the account's
            await account_store.drop_sign_in_attempt(unit, attempt)
            await unit.audit("account.login", now, actor=account.username)
        request.session.clear()  # a new session at login: no fixation
        request.session["sign_in"] = token
        return RedirectResponse(next_url, 303)

    async def logout(self, request: Request) -> Response:
        await self.form(request)
        token = request.session.get("sign_in")
        if isinstance(token, str):  # a copy of the cookie stops working too
            async with self.store.unit() as unit:
                await account_store.sign_out(unit, token)
        request.session.clear()
        return RedirectResponse("/login", 303)

    async def language(self, request: Request) -> Response:
        form = await self.form(request)
        language = str(form.get("language", ""))
        if language not in self.catalogs.languages:
            raise HTTPException(400, N_("Unknown language."))
        account = await self.account(request)
        if account is not None:
            async with self.store.unit() as unit:
                await account_store.set_language(unit, account.id, language)
        request.session["language"] = language
        return RedirectResponse(_safe_next(form), 303)

    async def queue(self, request: Request) -> Response:
        account = await self.signed_in(request)
        query = request.query_params
        tr = self.translator(request, account)
        search = query.get("q", "").strip()
        filters = _filters(query)
        async with self.store.unit() as unit:
            page = await cases.queue(unit, filters)
            nationalities = await cases.nationalities(unit)
        city_step = self.flow.step("current_city")
        return self.render(
            request,
            "queue.html",
            account,
            page=page,
            filters=filters,
            q=search,
            statuses=[(s, status_label(s, tr)) for s in STATUS_LABELS],
            flag_names=_flag_names(self.flow),
            nationalities=[(code, tr.country(code)) for code in nationalities],
            cities=[(o.value, tr.gettext(o.label)) for o in city_step.options],
            status_label=lambda s: status_label(s, tr),
            page_link=lambda n: "?" + urlencode({**dict(query), "page": n}),
            export_query=urlencode({k: v for k, v in query.items() if k != "page"}),
        )

    async def export(self, request: Request) -> Response:
        """The current filter as CSV (streamed) or XLSX; audited without the search terms."""
        account = await self.signed_in(request)
        kind = request.path_params["kind"]
        if kind not in ("csv", "xlsx"):
            raise HTTPException(404, N_("No such export."))
        filters = _filters(request.query_params)
        tr = self.translator(request, account)
        query = request.query_params
        used = {k: ("…" if k == "q" else query[k]) for k in FILTER_KEYS if query.get(k)}
        async with self.store.unit() as unit:  # the search text may be a name: not recorded
            await unit.audit(
                "cases.exported", self.clock(), actor=account.username, format=kind, filters=used
            )
        stamp = self.clock().strftime("%Y%m%d-%H%M")
        if kind == "csv":
            return StreamingResponse(
                export.csv_stream(self.store, self.flow, filters, tr),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="cases-{stamp}.csv"'},
            )
        path = await export.xlsx_file(self.store, self.flow, filters, tr)
        return FileResponse(
            path,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"cases-{stamp}.xlsx",
            background=BackgroundTask(path.unlink),
        )

    async def case(self, request: Request, error: str = "", status_code: int = 200) -> Response:
        account = await self.signed_in(request)
        reference = request.path_params["reference"]
        now = self.clock()
        tr = self.translator(request, account)
        async with self.store.unit() as unit:
            found = await cases.by_reference(unit, reference)
            if found is None:
                raise HTTPException(404, N_("No such case."))
            await unit.audit(
                "case.viewed", now, actor=account.username, pre_registration_id=found.id
            )
            trail = await cases.audit_trail(unit, found.id)
            notes = await cases.notes(unit, found.id)
            messages = await cases.messages(unit, found.id)
            versions = [
                (v.replaced_at, list(self._changes(v.answers, found.answers, tr)))
                for v in await cases.answer_versions(unit, found.id)
            ]
            twins = await cases.twins(unit, found)
            checkins = await followup_rows.for_case(unit, found.id)
            facts = await followup_rows.planning_facts(unit, found.id)
        zone = zone_for(facts.country if facts else None, facts.time_zone if facts else None)
        return self.render(
            request,
            "case.html",
            account,
            status_code,
            case=found,
            answers=list(self._answers(found.answers, tr)),
            family=list(self._family(found.answers, tr)),
            timeline=sorted(found.answered_at.items(), key=lambda item: item[1]),
            labels=self._labels(tr),
            trail=trail,
            notes=notes,
            messages=messages,
            targets=[(s, status_label(s, tr)) for s in workflow.TRANSITIONS[found.status]],
            correctable=list(self._correctable(found.answers, tr)),
            twins=twins,
            notified=", ".join(status_label(s, tr) for s in STATUS_LABELS if s in self.notified),
            versions=versions,
            error=error,
            status_label=lambda s: status_label(s, tr),
            checkins=[self._checkin(row, zone, tr) for row in checkins],
            zone=zone.key,
            zones=zones_of(facts.country if facts else None),
            today=self.clock().date().isoformat(),
        )

    def _checkin(
        self, row: followup_rows.FollowupRecord, zone: ZoneInfo, tr: Translator
    ) -> dict[str, Any]:
        """One check-in as the case page shows it, times in the country's local time."""
        checkin = self.followups.checkin(row.checkin) if self.followups else None
        answers = []
        if checkin is not None:
            for step in checkin.flow.steps:
                if step.id in row.answers:
                    value = format_answer(step, row.answers[step.id], tr)
                    answers.append((tr.gettext(step.review_label), value))
        when = row.answered_at or row.sent_at or row.due_at
        return {
            "label": tr.gettext(checkin.label) if checkin else row.checkin,
            "status": tr.gettext(CHECKIN_STATUS_LABELS.get(row.status, row.status)),
            "when": when.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "reason": tr.gettext(REASON_LABELS[row.reason]) if row.reason in REASON_LABELS else "",
            "reminders": row.reminders,
            "answers": answers,
            "flags": row.flags,
        }

    async def change_status(self, request: Request) -> Response:
        account = await self.signed_in(request)
        form = await self.form(request)
        target = str(form.get("status", ""))
        note = str(form.get("note", ""))[:2000]
        return_date = _date(str(form.get("return_date", "")))
        tr = self.translator(request, account)
        async with self.store.unit() as unit:
            found = await self._case(unit, request)
            editable = {step for step, _label in self._correctable(found.answers, tr)}
            ticked = [str(step) for step in form.getlist("ask") if step in editable]
            asked = ticked if target == "needs_info" else []
            refusal: tuple[str, int] | None = None
            try:
                workflow.check(found.status, target, note, return_date)
                if target == "needs_info" and not asked:
                    reason = N_("Tick the answers the person must give again.")
                    raise workflow.TransitionRefused(reason)
                await cases.change_status(
                    unit, found, target, account.username, note, return_date, self.clock()
                )
                if self.followups is not None:
                    await schedule_case(unit, found.id, self.followups, self.clock())
            except workflow.TransitionRefused as refused:
                refusal = (tr.gettext(refused.reason), 400)
            except cases.StatusChanged:
                changed = N_("Someone changed this case meanwhile. Check it, then retry.")
                refusal = (tr.gettext(changed), 409)
        if refusal is not None:  # shown once the transaction above is over
            return await self.case(request, *refusal)
        choice = form.get("notify", "default")
        notify = target in self.notified if choice == "default" else choice == "yes"
        if notify and target in workflow.PERSON_MESSAGES:
            await self._tell_person(
                found, workflow.PERSON_MESSAGES[target], account, translate=True
            )
        if asked and not await self.ask_again(found.id, asked):
            body = tr.gettext(
                "The questions could not be sent: the person is in the middle of another "
                "conversation with the bot, or has blocked it."
            )
            async with self.store.unit() as unit:
                await cases.add_note(unit, found.id, account.username, body, self.clock())
        return RedirectResponse(f"/cases/{found.reference}", 303)

    async def change_return(self, request: Request) -> Response:
        """A returned case's date of return or time zone: its check-ins move with them."""
        account = await self.signed_in(request)
        form = await self.form(request)
        tr = self.translator(request, account)
        return_date = _date(str(form.get("return_date", "")))
        zone = str(form.get("time_zone", "")).strip() or None
        async with self.store.unit() as unit:
            found = await self._case(unit, request)
            if (
                found.status != "returned"
                or return_date is None
                or return_date > self.clock().date()
            ):
                refusal = N_("Give the date of return: a past date, for a returned case.")
                return await self.case(request, tr.gettext(refusal), 400)
            if zone is not None and not valid_zone(zone):
                return await self.case(request, tr.gettext(N_("Unknown time zone.")), 400)
            now = self.clock()
            await followup_rows.set_return(unit, found.id, return_date, zone, now)
            await unit.audit("case.return_changed", now, actor=account.username,
                             pre_registration_id=found.id)  # fmt: skip
            if self.followups is not None:
                await schedule_case(unit, found.id, self.followups, now)
        return RedirectResponse(f"/cases/{found.reference}", 303)

    async def link(self, request: Request) -> Response:
        """Link this case and another as the same person."""
        account = await self.signed_in(request)
        form = await self.form(request)
        async with self.store.unit() as unit:
            found = await self._case(unit, request)
            other = await cases.by_reference(unit, str(form.get("other", "")))
            if other is None or other.id == found.id:
                raise HTTPException(400, N_("No such other case."))
            await cases.link(unit, found, other, account.username, self.clock())
        return RedirectResponse(f"/cases/{found.reference}", 303)

    async def add_note(self, request: Request) -> Response:
        account = await self.signed_in(request)
        form = await self.form(request)
        body = str(form.get("body", "")).strip()[:2000]
        if body:
            async with self.store.unit() as unit:
                found = await self._case(unit, request)
                now = self.clock()
                await cases.add_note(unit, found.id, account.username, body, now)
                await unit.audit("case.note_added", now, actor=account.username,
                                 pre_registration_id=found.id)  # fmt: skip
        return RedirectResponse(f"/cases/{request.path_params['reference']}", 303)

    async def send_message(self, request: Request) -> Response:
        account = await self.signed_in(request)
        form = await self.form(request)
        body = str(form.get("body", "")).strip()[:3000]
        async with self.store.unit() as unit:
            found = await self._case(unit, request)
        if body:
            await self._tell_person(found, body, account, translate=False)
        return RedirectResponse(f"/cases/{found.reference}", 303)

    async def _case(self, unit: Any, request: Request) -> cases.Case:
        found = await cases.by_reference(unit, request.path_params["reference"])
        if found is None:
            raise HTTPException(404, N_("No such case."))
        return found

    async def _tell_person(
        self, case: cases.Case, text: str, account: AccountRecord, *, translate: bool
    ) -> None:
        """Send through the bot (outside any transaction), then record what happened."""
        async with self.store.unit() as unit:
            person = await cases.recipient(unit, case.id)
        if person is None:
            return
        telegram_id, language = person
        if translate:
            tr = self.catalogs.translator(language)
            text = tr.gettext(text, reference=case.reference, office=self.office)
        delivered = await self.notify(telegram_id, text)
        async with self.store.unit() as unit:
            now = self.clock()
            await cases.add_message(unit, case.id, "out", account.username, text, delivered, now)
            await unit.audit(
                "case.message_sent",
                now,
                actor=account.username,
                pre_registration_id=case.id,
                delivered=delivered,
            )

    # Supervisors

    async def supervisor(self, request: Request) -> AccountRecord:
        account = await self.signed_in(request)
        if account.role != "supervisor":
            raise HTTPException(403, N_("Only supervisors may open this page."))
        return account

    async def audit_page(self, request: Request) -> Response:
        account = await self.supervisor(request)
        page = _int(request.query_params.get("page"), 1)
        async with self.store.unit() as unit:
            entries = await cases.audit_log(unit, page)
        return self.render(request, "audit.html", account, entries=entries, page=page)

    async def accounts_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        account = await self.supervisor(request)
        async with self.store.unit() as unit:
            everyone = await account_store.all_accounts(unit)
        return self.render(
            request, "accounts.html", account, status, accounts=everyone, error=error
        )

    async def create_account(self, request: Request) -> Response:
        account = await self.supervisor(request)
        form = await self.form(request)
        tr = self.translator(request, account)
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        role = str(form.get("role", ""))
        language = str(form.get("language", ""))
        if not username or len(username) > 64 or role not in account_store.ROLES:
            return await self.accounts_page(request, tr.gettext("Check the name and role."), 400)
        if len(password) < MIN_PASSWORD or language not in self.catalogs.languages:
            error = tr.gettext("A password needs at least {n} characters.", n=MIN_PASSWORD)
            return await self.accounts_page(request, error, 400)
        now = self.clock()
        async with self.store.unit() as unit:
            if await account_store.by_username(unit, username) is not None:
                error = tr.gettext("This name is taken.")
                return await self.accounts_page(request, error, 400)
            created = await account_store.add_account(
                unit,
                username,
                await run_in_threadpool(hash_password, password),
                role,
                language,
                now,
            )
            await unit.audit(
                "account.created", now, actor=account.username, role=role, account=created.id
            )
        return RedirectResponse("/accounts", 303)

    async def toggle_account(self, request: Request) -> Response:
        account = await self.supervisor(request)
        form = await self.form(request)
        target = _int(str(request.path_params["account_id"]), 0)
        active = form.get("active") == "1"
        if target == account.id and not active:
            raise HTTPException(400, N_("You cannot deactivate your own account."))
        async with self.store.unit() as unit:
            await account_store.set_active(unit, target, active)
            action = "account.activated" if active else "account.deactivated"
            await unit.audit(action, self.clock(), actor=account.username, account=target)
        return RedirectResponse("/accounts", 303)

    # Case page pieces

    def _answers(self, answers: dict[str, Any], tr: Translator) -> Any:
        for step in self.flow.steps:
            if step.id in answers and step.kind not in (Kind.CONSENT, Kind.REPEAT):
                yield tr.gettext(step.review_label), format_answer(step, answers[step.id], tr)

    def _correctable(self, answers: dict[str, Any], tr: Translator) -> Any:
        """The answers a caseworker may ask again (not language or consent)."""
        for step in self.flow.steps:
            if step.id in answers and step.kind not in (Kind.LANGUAGE, Kind.CONSENT):
                yield step.id, tr.gettext(step.review_label)

    def _changes(self, before: dict[str, Any], after: dict[str, Any], tr: Translator) -> Any:
        """(label, old, new) for each answer a correction changed."""
        for step in self.flow.steps:
            if before.get(step.id) != after.get(step.id) and step.kind is not Kind.REPEAT:
                old = format_answer(step, before.get(step.id), tr)
                new = format_answer(step, after.get(step.id), tr)
                yield tr.gettext(step.review_label), old, new

    def _family(self, answers: dict[str, Any], tr: Translator) -> Any:
        for step in self.flow.steps:
            if step.kind is not Kind.REPEAT:
                continue
            for item in answers.get(step.id, []):
                yield [
                    (tr.gettext(sub.review_label), format_answer(sub, item.get(sub.id), tr))
                    for sub in step.steps
                ]

    def _labels(self, tr: Translator) -> dict[str, str]:
        labels: dict[str, str] = {}
        for step in self.flow.steps:
            labels[step.id] = tr.gettext(step.review_label)
            for sub in step.steps:
                labels[sub.id] = tr.gettext(sub.review_label)
        return labels


def _flag_names(flow: Flow) -> list[str]:
    names = [rule.flag for rule in flow.flags]
    return list(dict.fromkeys([*names, "possible_duplicate", "wants_human", *FOLLOWUP_FLAGS]))


FILTER_KEYS = ("status", "flag", "nationality", "city", "since", "until", "q", "priority")


def _filters(query: Any) -> cases.CaseFilter:
    """The queue's filter from query parameters; anything malformed is ignored."""
    search = str(query.get("q", "")).strip()[:100]
    return cases.CaseFilter(
        status=query.get("status", "") if query.get("status") in STATUS_LABELS else "",
        flag=query.get("flag", ""),
        nationality=query.get("nationality", "").upper()[:2],
        city=query.get("city", ""),
        since=_date(query.get("since")),
        until=_date(query.get("until")),
        search=search,
        search_key=fold(search),
        priority_first=query.get("priority") == "1",
        page=_int(query.get("page"), 1),
    )


def _safe_next(params: Any) -> str:
    """Only a path on this site: never an open redirect."""
    target = str(params.get("next", "") or "/")
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _date(value: str | None) -> date | None:
    try:
        parsed = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or date(1900, 1, 1) <= parsed < date(2200, 1, 1) else None


def _int(value: str | None, default: int) -> int:
    ok = value and value.isascii() and value.isdigit() and len(value) <= 6
    return int(value) if ok and value else default


def create_app(
    store: Store,
    flow: Flow,
    catalogs: Catalogs,
    clock: Clock,
    notify: Notify,
    ask_again: AskAgain,
    *,
    secret: str,
    secure: bool,
    office: str,
    notified: frozenset[str] = frozenset({"accepted", "needs_info", "rejected"}),
    updates: Updates | None = None,
    webhook_secret: str | None = None,
    phones: Phones | None = None,
    followups: Followups | None = None,
) -> Starlette:
    dashboard = Dashboard(
        store,
        flow,
        catalogs,
        clock,
        notify,
        ask_again,
        office,
        notified,
        Throttle.keyed_by(secret),  # the same in every process
        updates,
        webhook_secret,
        phones,
        followups,
    )
    routes = [
        Route("/", dashboard.queue),
        Route(WEBHOOK_PATH, dashboard.webhook, methods=["POST"]),
        Route("/login", dashboard.login_page, methods=["GET"]),
        Route("/login", dashboard.login, methods=["POST"]),
        Route("/logout", dashboard.logout, methods=["POST"]),
        Route("/language", dashboard.language, methods=["POST"]),
        Route("/export.{kind:str}", dashboard.export),
        Route("/audit", dashboard.audit_page),
        Route("/accounts", dashboard.accounts_page, methods=["GET"]),
        Route("/accounts", dashboard.create_account, methods=["POST"]),
        Route("/accounts/{account_id:int}/active", dashboard.toggle_account, methods=["POST"]),
        Route("/cases/{reference}", dashboard.case),
        Route("/cases/{reference}/status", dashboard.change_status, methods=["POST"]),
        Route("/cases/{reference}/notes", dashboard.add_note, methods=["POST"]),
        Route("/cases/{reference}/link", dashboard.link, methods=["POST"]),
        Route("/cases/{reference}/return", dashboard.change_return, methods=["POST"]),
        Route("/cases/{reference}/messages", dashboard.send_message, methods=["POST"]),
        *dashboard.simulator.routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie="intake_session",
            same_site="lax",
            https_only=secure,
            max_age=int(SIGN_IN_LIFETIME.total_seconds()),
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: dashboard.error_page},
    )
