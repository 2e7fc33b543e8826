"""A case's statuses, the moves allowed between them, and what the person is told."""

from __future__ import annotations

import enum
from datetime import date

from bot.engine.flow import N_


class Status(enum.StrEnum):
    """Where a case stands; each member equals the string stored in the database."""

    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    NEEDS_INFO = "needs_info"
    WAITLISTED = "waitlisted"  # accepted, but its project is full: waiting for a place
    ACCEPTED = "accepted"
    DOC_REQUESTED = "doc_requested"  # a travel document asked of the consulate
    DOC_RECEIVED = "doc_received"
    TRAVEL_BOOKED = "travel_booked"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    DEPARTED = "departed"
    RETURNED = "returned"
    CLOSED = "closed"
    DUPLICATE = "duplicate"  # closed as the same request as another case: counts for nothing


TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.SUBMITTED: (Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN, Status.DUPLICATE),
    Status.IN_REVIEW: (
        Status.NEEDS_INFO,
        Status.WAITLISTED,
        Status.ACCEPTED,
        Status.REJECTED,
        Status.WITHDRAWN,
        Status.DUPLICATE,
    ),
    Status.NEEDS_INFO: (Status.IN_REVIEW, Status.REJECTED, Status.WITHDRAWN, Status.DUPLICATE),
    # A place freed in the project: the next one waiting moves in.
    Status.WAITLISTED: (Status.ACCEPTED, Status.WITHDRAWN, Status.REJECTED),
    # Someone with a valid passport needs no document: from accepted straight to booked.
    Status.ACCEPTED: (Status.DOC_REQUESTED, Status.TRAVEL_BOOKED, Status.WITHDRAWN),
    Status.DOC_REQUESTED: (Status.DOC_RECEIVED, Status.WITHDRAWN),
    Status.DOC_RECEIVED: (Status.TRAVEL_BOOKED, Status.WITHDRAWN),
    # A person may change their mind up to the day of departure.
    Status.TRAVEL_BOOKED: (Status.DEPARTED, Status.WITHDRAWN),
    Status.REJECTED: (Status.CLOSED,),
    Status.WITHDRAWN: (Status.CLOSED,),
    Status.DEPARTED: (Status.RETURNED,),
    Status.RETURNED: (Status.CLOSED,),
    Status.CLOSED: (),
    Status.DUPLICATE: (),
}
# A case in one of these is over: the person's messages no longer reach a caseworker.
CLOSED = frozenset({Status.REJECTED, Status.WITHDRAWN, Status.CLOSED, Status.DUPLICATE})
# Left out of the counts of cases and people: the other case counts for both.
UNCOUNTED = frozenset({Status.DUPLICATE})
NOTE_REQUIRED = frozenset({Status.REJECTED, Status.WITHDRAWN})

# How caseworkers and the person read each status.
LABELS: dict[Status, str] = {
    Status.SUBMITTED: N_("Received, waiting for review"),
    Status.IN_REVIEW: N_("Being reviewed"),
    Status.NEEDS_INFO: N_("We need more information"),
    Status.WAITLISTED: N_("On the waiting list"),
    Status.ACCEPTED: N_("Accepted"),
    Status.DOC_REQUESTED: N_("Travel document requested"),
    Status.DOC_RECEIVED: N_("Travel document received"),
    Status.TRAVEL_BOOKED: N_("Travel booked"),
    Status.REJECTED: N_("Not accepted"),
    Status.WITHDRAWN: N_("Withdrawn"),
    Status.DEPARTED: N_("Departed"),
    Status.RETURNED: N_("Returned home"),
    Status.CLOSED: N_("Closed"),
    Status.DUPLICATE: N_("Closed as a duplicate"),
}

# What the person receives through the bot when a caseworker chooses to tell them.
PERSON_MESSAGES: dict[Status, str] = {
    Status.IN_REVIEW: N_("Your request {reference} is now being reviewed by our staff."),
    Status.NEEDS_INFO: N_(
        "We need more information about your request {reference}. "
        "Staff will contact you, or ask you here."
    ),
    Status.WAITLISTED: N_(
        "Your request {reference} has been accepted, but the programme that pays for returns "
        "is full for now: you are on its waiting list. We cannot give you a date. We will "
        "tell you here as soon as a place is free."
    ),
    Status.ACCEPTED: N_(
        "Good news: your request {reference} has been accepted. "
        "Staff will call you to prepare your return."
    ),
    Status.DOC_REQUESTED: N_(
        "For your request {reference}, we have asked the consulate for your travel document. "
        "This can take several weeks: we will tell you here when it arrives."
    ),
    Status.DOC_RECEIVED: N_(
        "Your travel document for your request {reference} has arrived. "
        "Staff will now book your journey."
    ),
    Status.TRAVEL_BOOKED: N_(
        "Your journey is booked (request {reference}). Staff will give you the date, the time "
        "and the airport. Three days before, we will ask you here to confirm that you are "
        "still travelling."
    ),
    Status.REJECTED: N_(
        "Your request {reference} could not be accepted. "
        "You can contact {office} to understand why and to know other ways to get help."
    ),
    Status.WITHDRAWN: N_("Your request {reference} has been withdrawn."),
    Status.DEPARTED: N_("Have a safe journey. Your request {reference} is now marked as departed."),
    Status.RETURNED: N_("Welcome home. Your request {reference} is now marked as returned."),
    Status.CLOSED: N_("Your request {reference} is now closed. Thank you."),
    Status.DUPLICATE: N_(
        "Your request {reference} is closed because you sent the same request twice. "
        "Staff follow your other request."
    ),
}

# What /status says: where the request stands and what happens next, one sentence each.
NEXT_STEPS: dict[Status, str] = {
    Status.SUBMITTED: N_(
        "Received: a caseworker will study your request and call you on the number you gave."
    ),
    Status.IN_REVIEW: N_(
        "Being reviewed: a caseworker will call you to meet at the office and talk about "
        "your return."
    ),
    Status.NEEDS_INFO: N_(
        "We need more information: please answer the questions staff send you here, or "
        "wait for their call."
    ),
    Status.WAITLISTED: N_(
        "On the waiting list: the programme that pays for returns is full for now. We cannot "
        "give you a date; we will tell you here as soon as a place is free."
    ),
    Status.ACCEPTED: N_(
        "Accepted: staff will call you to prepare your travel documents and your journey."
    ),
    Status.DOC_REQUESTED: N_(
        "Travel document requested: the consulate is preparing it, which can take several "
        "weeks. We will tell you when it arrives."
    ),
    Status.DOC_RECEIVED: N_(
        "Travel document received: staff will book your journey and tell you the date."
    ),
    Status.TRAVEL_BOOKED: N_(
        "Travel booked: three days before your flight we will ask you to confirm that you are "
        "still travelling. You can change your mind at any time: tell staff."
    ),
    Status.REJECTED: N_(
        "Not accepted: you can contact {office} to understand why and to know other ways "
        "to get help."
    ),
    Status.WITHDRAWN: N_(
        "Withdrawn: nothing more will be done. If you change your mind, contact {office}."
    ),
    Status.DEPARTED: N_(
        "Departed: staff in your country of return will contact you to plan your new start."
    ),
    Status.RETURNED: N_(
        "Returned home: staff in your country will help you with your plan to start again."
    ),
    Status.CLOSED: N_("Closed: there is nothing more to do. Thank you."),
    Status.DUPLICATE: N_(
        "Closed: you sent this request twice, and staff follow your other request."
    ),
}


class TransitionRefused(Exception):
    """A status change the workflow does not allow; `reason` is a translatable text, and
    `field` names the form field at fault."""

    def __init__(self, reason: str, field: str = "status") -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def parse(value: str) -> Status | None:
    """The status `value` names, or None for anything else."""
    return Status(value) if value in _VALUES else None


def targets(current: str) -> tuple[Status, ...]:
    """The statuses a case in `current` may move to; none from an unknown status."""
    found = parse(current)
    return TRANSITIONS[found] if found is not None else ()


def check(
    current: str,
    target: str,
    note: str,
    return_date: date | None,
    *,
    duplicate_of: str = "",
) -> None:
    """Raise TransitionRefused unless `current` -> `target` may happen with these details.
    `duplicate_of` is the reference of the case this one duplicates, for "duplicate"."""
    if target not in targets(current):
        raise TransitionRefused(N_("This status change is not allowed."))
    if target == Status.DUPLICATE and not duplicate_of.strip():
        raise TransitionRefused(
            N_("Give the reference of the case this one duplicates."), "duplicate_of"
        )
    if target in NOTE_REQUIRED and not note.strip():
        raise TransitionRefused(N_("Write a note to explain this decision."), "note")
    if target == Status.RETURNED and return_date is None:
        raise TransitionRefused(N_("Give the date of return."), "return_date")


_VALUES = frozenset(Status)
