"""The flags registry: every flag labelled in French, and which ones rank or redden a case."""

from __future__ import annotations

import re

import pytest

from bot import flags
from bot.answers import flag_label
from bot.config import ROOT
from bot.i18n import Catalogs

FRENCH = Catalogs(ROOT / "locales").translator("fr")


@pytest.mark.parametrize("flag", flags.FLAGS, ids=lambda flag: flag.name)
def test_every_flag_has_a_label_translated_in_french(flag: flags.Flag) -> None:
    assert flag_label(flag.name, FRENCH) not in ("", flag.name, flag.label)


def test_an_unknown_flag_is_shown_as_stored() -> None:
    assert flag_label("made_up", FRENCH) == "made_up"
    assert flags.style("made_up") == ""


def test_names_are_unique() -> None:
    assert len(flags.BY_NAME) == len(flags.FLAGS)


def test_every_flag_a_conversation_file_raises_is_registered() -> None:
    raised = {
        name
        for path in (ROOT / "conversations").glob("*.yaml")
        for name in re.findall(r"-\s*flag:\s*(\w+)", path.read_text(encoding="utf-8"))
    }
    assert {"minor", "unsafe", "wants_to_migrate_again", "no_fixed_place", "not_met_on_arrival",
            "activity_stopped", "went_without_food", "low_economic_score"} <= raised  # fmt: skip
    assert raised <= set(flags.BY_NAME)


def test_red_flags_need_a_caseworker_now_and_come_first() -> None:
    assert {"unsafe", "urgent_health", "wants_human", "unaccompanied_minor", "changed_mind",
            "reconfirmation_missing", "no_fixed_place", "went_without_food"} == flags.RED  # fmt: skip
    assert flags.RED <= flags.PRIORITY
    assert {flags.style(name) for name in flags.RED} == {"red"}


def test_priority_flags_put_a_case_first() -> None:
    assert {"unsafe", "urgent_health", "wants_human", "minor", "unaccompanied_minor",
            "vulnerable", "changed_mind", "reconfirmation_missing", "no_fixed_place",
            "went_without_food", "activity_stopped", "low_economic_score"} == flags.PRIORITY  # fmt: skip


def test_orange_flags_are_worth_a_look_soon() -> None:
    orange = {flag.name for flag in flags.FLAGS if flags.style(flag.name) == "warn"}
    assert orange == {"minor", "vulnerable", "no_reply", "unreachable",
                      "appointment_more_times", "missed_appointments", "activity_stopped",
                      "low_economic_score", "not_met_on_arrival"}  # fmt: skip


def test_an_unaccompanied_minor_outranks_a_family_with_a_child() -> None:
    assert flags.severity("unaccompanied_minor") > flags.severity("vulnerable")
    assert flags.severity("urgent_health") > flags.severity("minor")
    assert flags.severity("made_up") == flags.Severity.PLAIN
