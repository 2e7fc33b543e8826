"""What the dashboard needs from the rest of the application, handed in as one object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.appointments import Appointments
from bot.casework import Casework
from bot.chat.simulator import Phones
from bot.duty import Duty
from bot.engine import Flow
from bot.engine.checkins import Followups
from bot.i18n import Catalogs, Translator
from bot.reintegration import Reintegration
from bot.store import Store
from bot.web.auth import Throttle
from bot.web.health import Limits
from bot.web.pages import Clock
from bot.web.webhook import Updates


@dataclass(frozen=True)
class Deps:
    """The dashboard's dependencies; the optional ones depend on how the bot runs."""

    store: Store
    flow: Flow
    catalogs: Catalogs
    clock: Clock
    casework: Casework  # the use-cases on a case, and the statuses told by default
    throttle: Throttle  # keyed the same in every process
    followups: Followups | None = None  # the check-ins shown on a case page
    phones: Phones | None = None  # the simulator's, on the in-process Bot API only
    updates: Updates | None = None  # where the webhook's updates go
    webhook_secret: str | None = None  # None: no webhook endpoint accepts anything
    # The consent's text with the office's facts filled, as the person read it.
    consent_text: Callable[[Translator, str], str] | None = None
    health: Limits = field(default_factory=Limits)  # past these, GET /healthz answers 503
    # The bot's Telegram name (getMe), for the outreach links; None until it is known.
    bot_username: Callable[[], str | None] = lambda: None
    appointments: Appointments | None = None  # booked on the case page, by day on their own
    duty: Duty | None = None  # links staff accounts' Telegram chats
    # The reintegration plan and the grant's ledger; none: the settings' default caps.
    reintegration: Reintegration | None = None
