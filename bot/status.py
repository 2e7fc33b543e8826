"""A case's statuses, the moves allowed between them, and what the person is told."""

from __future__ import annotations

from datetime import date

from bot.engine.flow import N_

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submitted": ("in_review", "rejected", "withdrawn"),
    "in_review": ("needs_info", "accepted", "rejected", "withdrawn"),
    "needs_info": ("in_review", "rejected", "withdrawn"),
    "accepted": ("departed", "withdrawn"),
    "rejected": ("closed",),
    "withdrawn": ("closed",),
    "departed": ("returned",),
    "returned": ("closed",),
    "closed": (),
}
NOTE_REQUIRED = frozenset({"rejected", "withdrawn"})

# What the person receives through the bot when a caseworker chooses to tell them.
PERSON_MESSAGES = {
    "in_review": N_("Your request {reference} is now being reviewed by our staff."),
    "needs_info": N_(
        "We need more information about your request {reference}. "
        "Staff will contact you, or ask you here."
    ),
    "accepted": N_(
        "Good news: your request {reference} has been accepted. "
        "Staff will call you to prepare your return."
    ),
    "rejected": N_(
        "Your request {reference} could not be accepted. "
        "You can contact {office} to understand why and to know other ways to get help."
    ),
    "withdrawn": N_("Your request {reference} has been withdrawn."),
    "departed": N_("Have a safe journey. Your request {reference} is now marked as departed."),
    "returned": N_("Welcome home. Your request {reference} is now marked as returned."),
    "closed": N_("Your request {reference} is now closed. Thank you."),
}


class TransitionRefused(Exception):
    """A status change the workflow does not allow; `reason` is a translatable text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check(current: str, target: str, note: str, return_date: date | None) -> None:
    """Raise TransitionRefused unless `current` -> `target` may happen with these details."""
    if target not in TRANSITIONS.get(current, ()):
        raise TransitionRefused(N_("This status change is not allowed."))
    if target in NOTE_REQUIRED and not note.strip():
        raise TransitionRefused(N_("Write a note to explain this decision."))
    if target == "returned" and return_date is None:
        raise TransitionRefused(N_("Give the date of return."))
