"""The flags a case can carry: each one's label, and how soon it needs a caseworker."""

from __future__ import annotations

import enum
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


class Severity(enum.IntEnum):
    """How soon a flag needs a caseworker; a case ranks by its most severe flag."""

    PLAIN = 0  # worth knowing, no hurry
    NOTICE = 1  # worth a look soon: shown in orange, ranks nothing
    HIGH = 2  # a person at risk: shown in orange, first when the queue shows priority first
    URGENT = 3  # needs a caseworker now: shown in red, first in the inbox until acknowledged


@dataclass(frozen=True)
class Flag:
    """One flag: its stored name, its label, and how soon it needs a caseworker."""

    name: str
    label: str
    severity: Severity = Severity.PLAIN


FLAGS = (
    Flag("minor", N_("Minor"), Severity.HIGH),
    # A child alone comes before any family: nobody travels with them to speak for them.
    Flag("unaccompanied_minor", N_("Unaccompanied minor"), Severity.URGENT),
    Flag("vulnerable", N_("Vulnerable"), Severity.HIGH),
    Flag("voluntariness_doubt", N_("Unsure about returning")),
    Flag("needs_travel_document", N_("Needs a travel document")),
    Flag("refugee_or_asylum", N_("Refugee or asylum seeker")),
    Flag("family_case", N_("Family")),
    Flag(NO_FOLLOWUP, N_("No messages after return")),
    Flag(DUPLICATE, N_("Possible duplicate")),
    Flag(WANTS_HUMAN, N_("Wants to talk to a person"), Severity.URGENT),
    Flag("unsafe", N_("Does not feel safe"), Severity.URGENT),
    Flag("urgent_health", N_("Urgent health problem"), Severity.URGENT),
    Flag("wants_to_migrate_again", N_("Feels they have to leave again")),
    # Raised by the reintegration check-ins (conversations/followup.yaml). Without a roof or
    # food a returnee is in danger now, and a shelter or food referral can be made today:
    # red, a caseworker is told at once. A stopped activity and a low economic score put
    # the reintegration at risk, not the person tonight: orange. Nobody meeting the person
    # on arrival is worth a look, and they answered, so they can be reached.
    Flag("no_fixed_place", N_("No fixed place to stay"), Severity.URGENT),
    Flag("went_without_food", N_("Went without food"), Severity.URGENT),
    Flag("activity_stopped", N_("Activity stopped"), Severity.HIGH),
    Flag("low_economic_score", N_("Low economic score"), Severity.HIGH),
    Flag("not_met_on_arrival", N_("Nobody met them on arrival"), Severity.NOTICE),
    Flag(NO_REPLY, N_("No reply to a check-in"), Severity.NOTICE),
    Flag(FOLLOWUP_FAILED, N_("Check-in not delivered")),
    Flag(UNREACHABLE, N_("Blocked the bot"), Severity.NOTICE),
    Flag(MORE_TIMES, N_("Asks for other appointment times"), Severity.NOTICE),
    Flag(MISSED, N_("Missed two appointments"), Severity.NOTICE),
    Flag(CHANGED_MIND, N_("Changed their mind about leaving"), Severity.URGENT),
    # Two days before the flight, silence needs a caseworker's call now.
    Flag(NOT_RECONFIRMED, N_("Did not reconfirm the departure"), Severity.URGENT),
)
BY_NAME = {flag.name: flag for flag in FLAGS}
PRIORITY = frozenset(flag.name for flag in FLAGS if flag.severity >= Severity.HIGH)
RED = frozenset(flag.name for flag in FLAGS if flag.severity == Severity.URGENT)
# Raised by a check-in's answers: the person is given the emergency contact at once.
EMERGENCY = frozenset({"unsafe", "urgent_health"})


def severity(name: str) -> Severity:
    """A flag's severity; an unknown flag is plain."""
    flag = BY_NAME.get(name)
    return flag.severity if flag is not None else Severity.PLAIN


def style(name: str) -> str:
    """The style a flag is shown in: "red", "warn", or "" for a plain one."""
    rank = severity(name)
    return "red" if rank == Severity.URGENT else "warn" if rank > Severity.PLAIN else ""
