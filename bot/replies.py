"""What the intake service tells the channel: the engine's events, its own notices, and
the reply that carries them in the person's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.engine import Asked, Event

# The service's notices, besides the engine's own events.


@dataclass(frozen=True)
class Submitted:
    reference: str


@dataclass(frozen=True)
class ResumeOffer:
    """An intake is open: continue it, or start again?"""


@dataclass(frozen=True)
class AlreadySubmitted:
    reference: str
    status: str


@dataclass(frozen=True)
class LanguageMenu:
    current: str


@dataclass(frozen=True)
class ConfirmCancel:
    checkin: bool = False  # the open conversation is a check-in, not a request


@dataclass(frozen=True)
class Cancelled:
    checkin: bool = False


@dataclass(frozen=True)
class NothingOpen:
    """A command that needs an open intake, with none open."""


@dataclass(frozen=True)
class ConfirmDelete:
    pass


@dataclass(frozen=True)
class Erased:
    pass


@dataclass(frozen=True)
class NothingStored:
    pass


@dataclass(frozen=True)
class StatusReport:
    cases: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DataReport:
    language: str
    consented_at: datetime | None
    answers: dict[str, Any]
    references: tuple[str, ...]


@dataclass(frozen=True)
class EditIgnored:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class TooLong:
    pass


@dataclass(frozen=True)
class MessagePassed:
    """A message after the request was sent, passed on to the staff handling it (kept
    with it when the request is closed: nobody may be handling it any more)."""

    reference: str
    closed: bool = False


@dataclass(frozen=True)
class KeptForStaff:
    """Text typed during a correction that does not answer the question: passed on to the
    staff handling the request as a message; the question follows again."""

    reference: str


@dataclass(frozen=True)
class Corrected:
    """A correction asked by staff ("needs info") is done."""

    reference: str


@dataclass(frozen=True)
class HumanRequested:
    pass


@dataclass(frozen=True)
class HumanWithoutRequest:
    pass


@dataclass(frozen=True)
class LanguageChanged:
    pass


@dataclass(frozen=True)
class FollowupsStopped:
    pass


@dataclass(frozen=True)
class KeepGoing:
    """A dismissed confirmation: nothing changed."""


@dataclass(frozen=True)
class CheckinDone:
    """A check-in after return is answered; `urgent` if it raised a health or safety flag.
    `country` is the country of return, whose contact the person is given."""

    urgent: bool
    country: str | None = None


@dataclass(frozen=True)
class ConsentDetails:
    """The consent's full notice ("Read more"), with the consent's buttons when `asked`
    is the consent question still waiting for its answer."""

    asked: Asked | None


@dataclass(frozen=True)
class CheckinReminder:
    """A check-in is still unanswered: its question follows again."""


@dataclass(frozen=True)
class IntakeReminder:
    """An intake left unfinished: it will be erased after `days` days untouched."""

    days: int


@dataclass(frozen=True)
class Apology:
    """Something failed on our side while handling the person's last message."""


@dataclass(frozen=True)
class StaffLinked:
    """A staff account's code was right: this chat now gets its duty notifications."""

    username: str


@dataclass(frozen=True)
class StaffLinkRefused:
    """A staff link code that is wrong, used or expired: nothing changed."""


@dataclass(frozen=True)
class DepartureCheck:
    """Shortly before the flight: is the person still travelling? `reconfirmation` is the
    question's row, named by its buttons; the flight's local date and time."""

    reconfirmation: int
    reference: str
    day: date
    at: str


@dataclass(frozen=True)
class DepartureAnswered:
    """The person's answer to DepartureCheck is recorded."""

    answer: str  # bot.departures: travelling, changed_mind or talk


@dataclass(frozen=True)
class DepartureOutdated:
    """A tap on a departure question that waits for no answer: nothing changed."""


Notice = (
    Submitted
    | ResumeOffer
    | AlreadySubmitted
    | LanguageMenu
    | ConfirmCancel
    | Cancelled
    | NothingOpen
    | ConfirmDelete
    | Erased
    | NothingStored
    | StatusReport
    | DataReport
    | EditIgnored
    | Help
    | TooLong
    | MessagePassed
    | KeptForStaff
    | Corrected
    | HumanRequested
    | HumanWithoutRequest
    | LanguageChanged
    | FollowupsStopped
    | KeepGoing
    | CheckinDone
    | ConsentDetails
    | CheckinReminder
    | IntakeReminder
    | Apology
    | StaffLinked
    | StaffLinkRefused
    | DepartureCheck
    | DepartureAnswered
    | DepartureOutdated
)
Item = Event | Notice


@dataclass(frozen=True)
class Tap:
    """The message whose button a person tapped: the reply shows the answer on it."""

    key: str | None  # the question the button answers; None for a command's button
    message_id: int
    text: str
    has_buttons: bool


@dataclass(frozen=True)
class User:
    """Who wrote, and about what: the update they sent, marked handled in the transaction
    that answers it, and the button they tapped, if any."""

    telegram_id: int
    language_code: str | None = None
    update_id: int | None = None
    tap: Tap | None = None


@dataclass
class Reply:
    """What to send back, in `language`."""

    language: str
    items: list[Item] = field(default_factory=list)
