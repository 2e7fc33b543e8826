"""The dashboard's Starlette application: every page's route, and the middleware."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.accounts import Accounts
from bot.bulk import Bulk
from bot.caseload import Caseload
from bot.counselling import Counselling
from bot.message_templates import MessageTemplates
from bot.projects import Projects
from bot.reintegration import Reintegration
from bot.reports import Reports
from bot.web.appointments import AppointmentPages
from bot.web.bulk import BulkPages
from bot.web.case import CaseView
from bot.web.caseload import CaseloadView
from bot.web.counselling import CounsellingView
from bot.web.deps import Deps
from bot.web.health import Health
from bot.web.message_templates import TemplatePages
from bot.web.pages import HERE, Pages
from bot.web.passwords import Passwords
from bot.web.permissions import guard
from bot.web.projects import ProjectPages
from bot.web.queue import Queue
from bot.web.reintegration import ReintegrationView
from bot.web.reports import ReportsView
from bot.web.security import SecurityHeaders
from bot.web.signin import SIGN_IN_LIFETIME, SignIn
from bot.web.simulator import Simulator
from bot.web.sources import Sources
from bot.web.staff_chat import StaffChat
from bot.web.supervisors import Supervisors
from bot.web.travel import TravelView
from bot.web.webhook import WEBHOOK_PATH, Webhook


class _RowId(IntegerConvertor):
    """`{name:id}` in a path is a row's id: nine digits at most. A longer number names no
    row, and would overflow the database's integer: the path is not found (404)."""

    regex = "[0-9]{1,9}"


register_url_convertor("id", _RowId())


def create_app(deps: Deps, *, secret: str, secure: bool) -> Starlette:
    """The dashboard, the webhook endpoint and the phone simulator as one ASGI app.

    `secret` signs the session cookie, which is sent only over HTTPS when `secure`.
    """
    pages = Pages(deps.store, deps.catalogs, deps.clock, simulator=deps.phones is not None)
    sign_in = SignIn(pages, deps.throttle)
    templates = MessageTemplates(deps.store, deps.catalogs, deps.casework)
    counselling = Counselling(deps.store, deps.flow, deps.casework.checklist, deps.clock)
    case = CaseView(pages, deps.flow, deps.casework, deps.followups, deps.consent_text, templates)
    counsel = CounsellingView(pages, case, counselling)
    grants = deps.reintegration or Reintegration(
        deps.store, deps.catalogs, deps.clock, templates=templates, office=deps.casework.office
    )
    reintegration = ReintegrationView(case, grants)
    queue = Queue(pages, deps.flow, deps.followups, (grants.cap_cents, grants.member_cap_cents))
    supervisors = Supervisors(pages)
    template_pages = TemplatePages(pages, supervisors, templates, case)
    bulk = BulkPages(pages, Bulk(deps.store, deps.casework, templates), templates)
    reach = Sources(supervisors, deps.bot_username)
    caseload = CaseloadView(
        pages, supervisors, case, Caseload(deps.store, deps.casework, deps.clock)
    )
    webhook = Webhook(deps.webhook_secret, deps.updates)
    simulator = Simulator(pages, deps.phones)
    health = Health(deps.store, deps.clock, deps.health)
    passwords = Passwords(pages, Accounts(deps.store, deps.clock))
    booking = AppointmentPages(pages, deps.appointments, case) if deps.appointments else None
    staff_chat = StaffChat(pages, deps.duty, deps.bot_username)
    projects = ProjectPages(pages, case, Projects(deps.store, deps.casework, deps.clock))
    routes = [
        Route("/", queue.queue),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route(WEBHOOK_PATH, webhook.on_update, methods=["POST"]),
        Route("/login", sign_in.login_page, methods=["GET"]),
        Route("/login", sign_in.login, methods=["POST"]),
        Route("/logout", sign_in.logout, methods=["POST"]),
        Route("/language", sign_in.language, methods=["POST"]),
        Route("/export.{kind:str}", queue.export, methods=["POST"]),
        Route("/export/members.csv", queue.export_members, methods=["POST"]),
        Route("/audit", supervisors.audit_page),
        Route("/accounts", supervisors.accounts_page, methods=["GET"]),
        Route("/accounts", supervisors.create_account, methods=["POST"]),
        Route("/accounts/{account_id:id}/active", supervisors.toggle_account, methods=["POST"]),
        Route("/sources", reach.page, methods=["GET"]),
        Route("/sources", reach.create, methods=["POST"]),
        Route("/sources/{source_id:id}.{kind:str}", reach.qr, methods=["GET"]),
        Route("/cases/{reference}", case.case),
        Route("/cases/{reference}/status", case.change_status, methods=["POST"]),
        Route("/cases/{reference}/notes", case.add_note, methods=["POST"]),
        Route("/cases/{reference}/link", case.link, methods=["POST"]),
        Route("/cases/{reference}/return", case.change_return, methods=["POST"]),
        Route("/cases/{reference}/messages", case.send_message, methods=["POST"]),
        Route("/telegram", staff_chat.page, methods=["GET"]),
        Route("/telegram/code", staff_chat.new_code, methods=["POST"]),
        Route("/telegram/unlink", staff_chat.unlink, methods=["POST"]),
        Route("/cases/{reference}/travel", TravelView(case).save, methods=["POST"]),
        *caseload.routes(),
        Route("/cases/{reference}/checklist", counsel.record, methods=["POST"]),
        Route("/cases/{reference}/members/{member_id:id}", counsel.change_member, methods=["POST"]),
        Route("/cases/{reference}/template", template_pages.send, methods=["POST"]),
        Route("/templates", template_pages.list_page, methods=["GET"]),
        Route("/templates", template_pages.create, methods=["POST"]),
        Route("/templates/{key}", template_pages.edit_page, methods=["GET"]),
        Route("/templates/{key}", template_pages.edit, methods=["POST"]),
        Route("/bulk", bulk.form_page, methods=["GET"]),
        Route("/bulk", bulk.confirm, methods=["POST"]),
        Route("/bulk/run", bulk.run, methods=["POST"]),
        *projects.routes(),
        *ReportsView(pages, Reports(deps.store, deps.flow)).routes(),
        *simulator.routes(),
        *passwords.routes(),
        *(booking.routes() if booking is not None else []),
        *reintegration.routes(),
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
        routes=guard(pages, routes),  # each route's permission: bot/web/permissions.py
        middleware=middleware,
        exception_handlers={HTTPException: pages.error_page},
    )
