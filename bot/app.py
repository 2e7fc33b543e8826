"""The composition root: settings in, a wired bot out."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from bot.appointments import Appointments
from bot.backups import Backups
from bot.caseload import NewCases
from bot.casework import Casework
from bot.chat.handlers import Chat, register_commands
from bot.chat.office import Contact, Office, Recipient
from bot.chat.render import Renderer
from bot.chat.sender import Outcome, Sender
from bot.chat.simulator import Phones
from bot.chat.transport import OFFLINE_TOKEN, OfflineBotAPI
from bot.config import Settings
from bot.conversations import CHECKLIST_FILE, load_checklist, load_flows, load_followups
from bot.conversations.loader import FOLLOWUP_FILE
from bot.delivery.inbox import Inbox
from bot.delivery.outbox import AGE, Outbox
from bot.departures import LABELS as DEPARTURE_BUTTONS
from bot.departures import Answers, Sweep
from bot.duty import Duty
from bot.engine import CountryIndex, DateWords, Flow, Resources
from bot.engine.checkins import Followups
from bot.followups.dispatcher import Dispatcher
from bot.i18n import Catalogs, country_names, date_words
from bot.intake import FLOW, Intake
from bot.message_templates import MessageTemplates
from bot.office_hours import Hours
from bot.phones import parse_phone
from bot.reintegration import Reintegration
from bot.retention import Policy, Retention
from bot.store import Store
from bot.travel import Travel
from bot.vocabulary import vocabulary
from bot.web.app import create_app
from bot.web.auth import Throttle
from bot.web.deps import Deps
from bot.web.health import Limits

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
DIGEST_LOOK = timedelta(minutes=5)  # how late after its hour a daily digest may leave


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Everything `intake-bot run` and the tests need, wired together."""

    settings: Settings
    store: Store
    flow: Flow
    followups: Followups
    catalogs: Catalogs
    service: Intake
    renderer: Renderer
    application: Application  # type: ignore[type-arg]
    inbox: Inbox
    outbox: Outbox
    dispatcher: Dispatcher
    retention: Retention
    offline: OfflineBotAPI | None
    phones: Phones | None  # the dashboard's simulated phones, on the offline transport
    web: Starlette
    backups: Backups | None = None  # the nightly copies, when INTAKE_BACKUP_DIR is set
    appointments: Appointments | None = None  # booked from the dashboard, kept in the bot
    duty: Duty | None = None  # staff chats: red flags and the daily digest
    departures: Sweep | None = None  # asks, before a flight, whether the person still travels

    async def start(self) -> None:
        """Empty SQLite's log (an erasure cut short by a crash reaches the disk now),
        initialise PTB (getMe) and register the command menus."""
        await self.store.scrub()
        await self.application.initialize()
        await register_commands(self.application, self.renderer)

    async def stop(self) -> None:
        """Shut PTB down and close the database."""
        await self.application.shutdown()
        await self.store.close()


def country_index(flow: Flow, catalogs: Catalogs) -> CountryIndex:
    names = country_names(catalogs.languages)
    for code, aliases in flow.aliases.items():
        names.setdefault(code, []).extend(aliases)
    return CountryIndex.build(names, flow.ambiguous)


def office_facts(settings: Settings) -> Office:
    """What the person is told about the office, from the settings."""
    return Office(
        name=settings.office_name,
        contact=settings.office_contact,
        address=settings.office_address,
        hours=settings.office_hours,
        retention_days=settings.retention_days,
        abandoned_days=settings.abandoned_days,
        recipients=tuple(Recipient(r.who, r.why) for r in settings.consent_recipients),
        return_contacts={
            code: Contact(c.name, c.phone, c.hours) for code, c in settings.return_contacts.items()
        },
    )


async def build(
    settings: Settings,
    *,
    offline: OfflineBotAPI | None = None,
    clock: Clock = utcnow,
    migrate: bool = True,
    rate_limited: bool | None = None,
    worker: str | None = None,
) -> Runtime:
    """Open the database (migrating it), load flows and catalogs, build the PTB application.

    Without a token the bot runs on the in-process Bot API (`offline`, made if not given).
    Sends are held to `messages_per_second` with a token, or when `rate_limited` says so.
    `worker` names this process on its claims of updates and messages: the same name
    after a restart, another for every process sharing the database (default: the host).
    """
    store = Store(settings.database(), settings.grant_caps())
    if migrate:
        await store.upgrade()
    catalogs = Catalogs(
        settings.locales_dir, settings.default_language, settings.offered_languages()
    )
    flow = load_flows(settings.conversations_dir, catalogs.languages)[FLOW]
    followups = load_followups(settings.conversations_dir / FOLLOWUP_FILE)
    resources = Resources(
        parse_phone=parse_phone,
        countries=country_index(flow, catalogs),
        words=vocabulary([flow, *followups.flows.values()], catalogs, DEPARTURE_BUTTONS.values()),
        dates=DateWords.build(*date_words(catalogs.languages)),
    )
    renderer = Renderer(catalogs, flow, office_facts(settings))
    token = settings.telegram_bot_token
    if token is None and offline is None:
        offline = OfflineBotAPI()
    # Updates come from the inbox (bot/delivery/inbox.py), not from PTB's updater.
    builder = ApplicationBuilder().updater(None)
    if offline is not None:
        builder = builder.token(OFFLINE_TOKEN).request(offline).get_updates_request(offline)
    else:
        assert token is not None
        builder = (
            builder.token(token.get_secret_value())
            .base_url(settings.telegram_api_base_url)
            .request(_http())
            .get_updates_request(_http(read_timeout=30))
        )
    if rate_limited if rate_limited is not None else token is not None:
        # One message per 1/rate seconds: an even pace, with no burst on top of the rate
        # (a bucket of 30 a second lets 60 through in some one-second windows).
        limiter = AIORateLimiter(
            overall_max_rate=1, overall_time_period=1 / settings.messages_per_second, max_retries=3
        )
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    application = builder.build()
    worker = worker or socket.gethostname()
    sender = Sender(renderer, application.bot)
    outbox = Outbox(store, sender, clock, worker)
    inbox = Inbox(store, application, clock, outbox.answered, worker)
    duty = Duty(
        store,
        catalogs,
        clock,
        outbox,
        dashboard_url=settings.dashboard_url,
        duty_officer=settings.duty_officer,
        digest_hour=settings.digest_hour,
        zone=settings.office_time_zone,
        overdue_days=settings.overdue_days,
    )
    service = Intake(
        store,
        flow,
        resources,
        catalogs.negotiate,
        clock,
        settings.reference_prefix,
        checkin_flows=followups.flows,
        journal=outbox,
        alerts=duty,
        new_cases=NewCases(settings.assign_new_cases),
    )
    appointments = Appointments(
        store,
        catalogs,
        clock,
        Hours.parse(
            settings.office_time_zone,
            settings.appointment_days,
            settings.appointment_hours,
            settings.appointment_slot_limit,
            settings.appointment_reminder_hour,
        ),
        office=settings.office_name,
        address=settings.office_address,
        flush=outbox.flush,
    )
    answers = Answers(
        store, flow, resources, catalogs.negotiate, clock, settings.reference_prefix,
        journal=outbox, alerts=duty,
    )  # fmt: skip
    Chat(service, renderer, sender, outbox.flush, appointments, duty, answers).register(application)
    office_zone = ZoneInfo(settings.office_time_zone)
    departures = Sweep(store, outbox, outbox.flush, clock, office_zone, alerts=duty)
    travel = Travel(store, clock, office_zone, followups.schedule)
    dispatcher = Dispatcher(
        store,
        service,
        followups,
        sender,
        clock,
        lease=timedelta(seconds=settings.dispatch_lease_seconds),
    )
    policy = Policy(settings.retention_days, settings.abandoned_days)
    retention = Retention(store, policy, sender, clock)
    backups = None
    if settings.backup_dir is not None:
        backups = Backups(store, settings.backup_dir, settings.backup_keep, clock)
    _schedule_jobs(application, dispatcher, retention, inbox, outbox, backups, settings)
    _schedule_reminders(application, appointments, settings)
    _schedule_digests(application, duty)
    _schedule_departures(application, departures, settings)

    async def notify(telegram_id: int, text: str) -> bool:
        """Send a caseworker's message through the bot; False if Telegram refused it."""
        delivery = await sender.send_text(telegram_id, text)
        if not delivery.sent:
            log.warning("message to a person not delivered: %s", delivery.error)
        return delivery.sent

    async def ask_again(case_id: int, steps: list[str]) -> bool:
        """Ask the person exactly these questions again ("needs info"); False if not possible.
        A question Telegram cannot take now waits in the outbox: it will be sent."""
        user = await service.open_correction(case_id, steps)
        if user is None:
            return False
        delivery = await outbox.flush(user.telegram_id)
        if not delivery.sent:
            log.warning("questions to a person not delivered now: %s", delivery.error)
        return delivery.outcome not in (Outcome.BLOCKED, Outcome.REFUSED)

    async def deliver(data: dict[str, Any]) -> None:
        """An update from the webhook, stored in the inbox before the webhook answers."""
        await inbox.receive([data])

    phones = Phones(offline) if offline is not None else None
    casework = Casework(
        store,
        flow,
        catalogs,
        clock,
        notify,
        ask_again,
        office=settings.office_name,
        notified=frozenset(s.strip() for s in settings.notify_statuses.split(",") if s.strip()),
        followups=followups,
        travel=travel,
        checklist=load_checklist(settings.conversations_dir / CHECKLIST_FILE),
    )
    reintegration = Reintegration(
        store,
        catalogs,
        clock,
        cap_usd=settings.grant_cap_usd,
        member_cap_usd=settings.grant_member_cap_usd,
        templates=MessageTemplates(store, catalogs, casework),
        office=settings.office_name,
        flush=outbox.flush,
    )
    deps = Deps(
        store,
        flow,
        catalogs,
        clock,
        casework,
        Throttle.keyed_by(settings.session_secret()),  # the same in every process
        followups=followups,
        phones=phones,
        updates=deliver,
        webhook_secret=settings.webhook_token() if settings.webhook_url else None,
        consent_text=office_facts(settings).consent_text,
        health=Limits(settings.health_inbox_seconds, settings.health_outbox_seconds),
        bot_username=lambda: _username(application),
        appointments=appointments,
        duty=duty,
        reintegration=reintegration,
    )
    web = create_app(deps, secret=settings.session_secret(), secure=settings.secure_cookies)
    return Runtime(
        settings,
        store,
        flow,
        followups,
        catalogs,
        service,
        renderer,
        application,
        inbox,
        outbox,
        dispatcher,
        retention,
        offline,
        phones,
        web,
        backups,
        appointments,
        duty,
        departures,
    )


def _schedule_jobs(
    application: Application,  # type: ignore[type-arg]
    dispatcher: Dispatcher,
    retention: Retention,
    inbox: Inbox,
    outbox: Outbox,
    backups: Backups | None,
    settings: Settings,
) -> None:
    """The dispatcher and the outbox wake up regularly; retention, the inbox's pruning and
    backups daily; a late wake-up runs once, and never twice at the same time."""
    jobs = application.job_queue
    assert jobs is not None, "python-telegram-bot[job-queue] is required"
    job_kwargs = {"misfire_grace_time": 60, "coalesce": True, "max_instances": 1}
    jobs.run_repeating(
        dispatcher.job,
        interval=settings.dispatch_seconds,
        first=5,
        name="check-ins",
        job_kwargs=job_kwargs,
    )
    jobs.run_repeating(outbox.job, interval=AGE, first=AGE, name="outbox", job_kwargs=job_kwargs)
    office = ZoneInfo(settings.office_time_zone)
    ten = time(10, tzinfo=office)
    jobs.run_daily(retention.job, ten, name="retention", job_kwargs=job_kwargs)
    jobs.run_daily(inbox.job, ten, name="inbox", job_kwargs=job_kwargs)
    if backups is not None:
        at = time(settings.backup_hour, tzinfo=office)
        jobs.run_daily(backups.job, at, name="backup", job_kwargs=job_kwargs)


def _schedule_reminders(
    application: Application,  # type: ignore[type-arg]
    appointments: Appointments,
    settings: Settings,
) -> None:
    """The appointments' reminders: due rows looked for as often as check-ins (each goes once)."""
    jobs = application.job_queue
    assert jobs is not None
    job_kwargs = {"misfire_grace_time": 60, "coalesce": True, "max_instances": 1}
    jobs.run_repeating(
        appointments.job,
        interval=settings.dispatch_seconds,
        first=15,
        name="appointments",
        job_kwargs=job_kwargs,
    )


def _schedule_digests(application: Application, duty: Duty) -> None:  # type: ignore[type-arg]
    """The daily digest is looked for every few minutes: once the hour has come, each
    linked account gets that day's, once (its row says which day it had last)."""
    jobs = application.job_queue
    assert jobs is not None
    job_kwargs = {"misfire_grace_time": 60, "coalesce": True, "max_instances": 1}
    jobs.run_repeating(duty.job, interval=DIGEST_LOOK, first=DIGEST_LOOK, name="digest",
                       job_kwargs=job_kwargs)  # fmt: skip


def _schedule_departures(
    application: Application,  # type: ignore[type-arg]
    departures: Sweep,
    settings: Settings,
) -> None:
    """The question before a flight is looked for as often as check-ins are."""
    jobs = application.job_queue
    assert jobs is not None, "python-telegram-bot[job-queue] is required"
    jobs.run_repeating(
        departures.job,
        interval=settings.dispatch_seconds,
        first=7,
        name="reconfirmations",
        job_kwargs={"misfire_grace_time": 60, "coalesce": True, "max_instances": 1},
    )


def _username(application: Application) -> str | None:  # type: ignore[type-arg]
    """The bot's Telegram name, as getMe told it at start (None before that)."""
    try:
        name: str = application.bot.username
    except RuntimeError:  # not initialised yet: getMe has not answered
        return None
    return name


def _http(read_timeout: float = 10) -> BaseRequest:
    return HTTPXRequest(connection_pool_size=16, read_timeout=read_timeout)
