"""The flags a case can carry: each one's label, and how soon it needs a caseworker."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.flow import N_

# The flags the code raises itself; the conversation files raise the others.
DUPLICATE = "possible_duplicate"
NO_FOLLOWUP = "no_followup_consent"
WANTS_HUMAN = "wants_human"
NO_REPLY = "no_reply"
FOLLOWUP_FAILED = "followup_failed"
UNREACHABLE = "unreachable"
MORE_TIMES = "appointment_more_times"  # the person asked for other appointment times
MISSED = "missed_appointments"  # did not come to two appointments
CHANGED_MIND = "changed_mind"  # answered the departure's reconfirmation: not travelling
NOT_RECONFIRMED = "reconfirmation_missing"  # no answer to it within a day


@dataclass(frozen=True)
class Flag:
    """One flag: its stored name, its label, and how it ranks the case."""

    name: str
    label: str
    priority: bool = False  # puts the case first when the queue shows priority first
    red: bool = False  # needs a caseworker now: shown in red
    warn: bool = False  # worth a look soon: shown in orange


FLAGS = (
    Flag("minor", N_("Minor"), priority=True, warn=True),
    Flag("unaccompanied_minor", N_("Unaccompanied minor"), priority=True, warn=True),
    Flag("vulnerable", N_("Vulnerable"), priority=True, warn=True),
    Flag("voluntariness_doubt", N_("Unsure about returning")),
    Flag("needs_travel_document", N_("Needs a travel document")),
    Flag("refugee_or_asylum", N_("Refugee or asylum seeker")),
    Flag("family_case", N_("Family")),
    Flag(NO_FOLLOWUP, N_("No messages after return")),
    Flag(DUPLICATE, N_("Possible duplicate")),
    Flag(WANTS_HUMAN, N_("Wants to talk to a person")),
    Flag("unsafe", N_("Does not feel safe"), priority=True, red=True),
    Flag("urgent_health", N_("Urgent health problem"), priority=True, red=True),
    Flag("wants_to_migrate_again", N_("Feels they have to leave again")),
    Flag(NO_REPLY, N_("No reply to a check-in"), warn=True),
    Flag(FOLLOWUP_FAILED, N_("Check-in not delivered")),
    Flag(UNREACHABLE, N_("Blocked the bot"), warn=True),
    Flag(MORE_TIMES, N_("Asks for other appointment times"), warn=True),
    Flag(MISSED, N_("Missed two appointments"), warn=True),
    Flag(CHANGED_MIND, N_("Changed their mind about leaving"), priority=True, red=True),
    # Two days before the flight, silence needs a caseworker's call now.
    Flag(NOT_RECONFIRMED, N_("Did not reconfirm the departure"), priority=True, red=True),
)
BY_NAME = {flag.name: flag for flag in FLAGS}
PRIORITY = frozenset(flag.name for flag in FLAGS if flag.priority)
RED = frozenset(flag.name for flag in FLAGS if flag.red)


def style(name: str) -> str:
    """The style a flag is shown in: "red", "warn", or "" for a plain one."""
    flag = BY_NAME.get(name)
    if flag is None:
        return ""
    return "red" if flag.red else "warn" if flag.warn else ""
