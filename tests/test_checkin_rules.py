"""The check-ins' red-flag rules, end to end: a returnee answers in French or in English
through the real PTB pipeline, the flag lands on the case, a red one reaches the
caseworker's own chat, and a reintegration check-in's scores are kept with its answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot import flags
from bot.app import Runtime
from bot.config import ROOT
from bot.conversations import load_followups
from bot.engine import Kind
from bot.engine.checkins import Checkin
from bot.i18n import Translator
from bot.passwords import hash_password
from bot.store import accounts, assignment, cases, people
from bot.store.models import Followup
from tests.helpers import PASSWORD, Clock, Phone, returned_case, table_rows

FOLLOWUPS = load_followups(ROOT / "conversations" / "followup.yaml")
NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)  # the tests' clock: 10:00 in Dakar
# Returned on these days, the case's check-in is due now; the earlier ones, long gone,
# are not planned at all.
RETURNED = {"day_7": date(2026, 11, 20), "month_3": date(2026, 8, 27)}

# Answers that raise nothing: the rules below change one or a few of them.
CALM = {
    "day_7": {"arrived_safely": "yes", "met_on_arrival": "yes", "staying": "family",
              "grant_received": "yes", "urgent": "none", "satisfaction": "4"},
    "month_3": {"activity": "running", "income": "enough_one", "food": "never",
                "debt": "free_can_borrow", "housing": "good", "services": "always",
                "documents": "has", "support": "both", "belonging": "belong",
                "distress": "never", "leave_again": "no", "urgent": "none"},
}  # fmt: skip

RED_WORDS = {"fr": "Drapeau rouge sur le dossier", "en": "Red flag on case"}
# (name, check-in, answers changed, flags raised in the file's order, red ones told)
RULES = [
    ("not met on arrival", "day_7", {"met_on_arrival": "no"}, ["not_met_on_arrival"], []),
    ("no fixed place, first week", "day_7", {"staying": "no_place"}, ["no_fixed_place"],
     ["no_fixed_place"]),
    ("no fixed place", "month_3", {"housing": "no_place"}, ["no_fixed_place"],
     ["no_fixed_place"]),
    # economic (0 + 0.75 + 1 + 1) / 4 = 0.6875: the activity alone, not the score
    ("activity stopped", "month_3", {"activity": "stopped"}, ["activity_stopped"], []),
    ("went without food", "month_3", {"food": "often"}, ["went_without_food"],
     ["went_without_food"]),
    # economic (0.33 + 0 + 0.5 + 0) / 4 = 0.2075, at most 0.25
    ("low economic score", "month_3",
     {"activity": "not_started", "income": "none", "food": "sometimes",
      "debt": "owe_cannot_borrow"},
     ["went_without_food", "low_economic_score"], ["went_without_food"]),
    # economic (0.33 + 0 + 0.5 + 0.33) / 4 = 0.29: above the line
    ("economic score just above the line", "month_3",
     {"activity": "not_started", "income": "none", "food": "sometimes",
      "debt": "free_cannot_borrow"},
     ["went_without_food"], ["went_without_food"]),
    ("nothing worrying", "month_3", {}, [], []),
]  # fmt: skip


async def returnee(bot: Runtime, telegram_id: int, language: str, checkin: str) -> int:
    """A returned case whose person reads `language`; `checkin` is due now."""
    case_id = await returned_case(bot, telegram_id, return_date=RETURNED[checkin])
    async with bot.store.unit() as unit:
        person = await people.find(unit, telegram_id)
        assert person is not None
        await people.change(unit, person, bot.service.clock(), language=language)
    return case_id


async def caseworker(bot: Runtime, phone_factory: Any, case_id: int, language: str) -> Phone:
    """The case's caseworker, her own Telegram chat linked to her account."""
    async with bot.store.unit() as unit:
        account = await accounts.add_account(
            unit, "amina", hash_password(PASSWORD), "caseworker", language, bot.service.clock()
        )
        await assignment.assign(unit, case_id, account.id, "boss", bot.service.clock())
    assert bot.duty is not None
    code = await bot.duty.new_code(account.id, "amina")
    phone: Phone = phone_factory(9001, language, "Amina")
    await phone.say(f"/link {code.code}")
    return phone


async def answer(phone: Phone, checkin: Checkin, answers: dict[str, str], tr: Translator) -> None:
    """Tap each question's button whose text is the answer's label in the person's language."""
    for step in checkin.flow.steps:
        value = answers[step.id]
        option = step.option(value)
        label = tr.gettext(option.label) if option is not None else value
        question = phone.last
        assert question.text.startswith(tr.gettext(step.prompt, office="OIM Rabat")[:30])
        [data] = [b["callback_data"] for b in question.buttons if b["text"] == label]
        await phone.send(phone.person.tap(data=data, message=question))


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    ("checkin", "changed", "raised", "red"),
    [r[1:] for r in RULES],
    ids=[r[0].replace(" ", "_").replace(",", "") for r in RULES],
)
async def test_a_worrying_answer_raises_its_flag_and_a_red_one_is_told(
    bot: Runtime,
    clock: Clock,
    phone_factory: Any,
    language: str,
    checkin: str,
    changed: dict[str, str],
    raised: list[str],
    red: list[str],
) -> None:
    case_id = await returnee(bot, 61, language, checkin)
    amina = await caseworker(bot, phone_factory, case_id, language)
    told_before = len(amina.inbox)
    clock.now = NOW
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    tr = bot.catalogs.translator(language)
    await answer(
        phone_factory(61, language), FOLLOWUPS.checkin(checkin), CALM[checkin] | changed, tr
    )
    [row] = [r for r in await table_rows(bot, Followup) if r["status"] == "answered"]
    assert (row["checkin"], row["flags"]) == (checkin, raised)
    async with bot.store.unit() as unit:
        case = await cases.by_id(unit, case_id)
    assert case is not None and set(raised) <= set(case.flags)
    await bot.outbox.send_waiting(timedelta(0))
    told = [m.text for m in amina.inbox[told_before:]]
    labels = [tr.gettext(flags.BY_NAME[name].label) for name in red]
    line = "Red flag on case {reference}: {flag}."
    assert told == [f"🔴 {tr.gettext(line, reference=case.reference, flag=f)}" for f in labels]
    assert all(RED_WORDS[language] in text for text in told)


def test_no_fixed_place_and_hunger_are_red_and_the_rest_orange() -> None:
    """Without a roof or food a caseworker is woken; the rest waits in orange."""
    assert {"no_fixed_place", "went_without_food"} <= flags.RED
    assert {flags.style(n) for n in ("activity_stopped", "low_economic_score")} == {"warn"}
    assert flags.style("not_met_on_arrival") == "warn"


async def test_a_completed_check_in_keeps_its_scores(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    case_id = await returnee(bot, 62, "fr", "month_3")
    clock.now = NOW
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    mixed = {
        "activity": "running_short", "income": "short_several", "food": "sometimes",
        "debt": "owe_can_borrow", "housing": "poor", "services": "sometimes",
        "documents": "in_progress", "support": "support_only", "belonging": "belong",
        "distress": "sometimes", "leave_again": "no", "urgent": "health",
    }  # fmt: skip
    tr = bot.catalogs.translator("fr")
    await answer(phone_factory(62, "fr"), FOLLOWUPS.checkin("month_3"), mixed, tr)
    [row] = [r for r in await table_rows(bot, Followup) if r["status"] == "answered"]
    assert (row["pre_registration_id"], row["checkin"]) == (case_id, "month_3")
    # economic (0.67 + 0.5 + 0.5 + 0.67) / 4 = 0.585; social (0.67 + 0.5 + 0.5) / 3;
    # psychosocial (0.5 + 1 + 0.5 + 1 + 1) / 5 = 0.8; composite 0.4 * 0.585 + 0.3 * 0.556667
    # + 0.3 * 0.8 = 0.641
    assert row["status"] == "answered" and row["flags"] == ["urgent_health", "went_without_food"]
    assert row["score_economic"] == pytest.approx(0.585)
    assert row["score_social"] == pytest.approx(1.67 / 3)
    assert row["score_psychosocial"] == pytest.approx(0.8)
    assert row["score_composite"] == pytest.approx(0.641)


async def test_a_check_in_without_scored_questions_keeps_no_scores(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    await returnee(bot, 63, "en", "day_7")
    clock.now = NOW
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    tr = bot.catalogs.translator("en")
    await answer(phone_factory(63, "en"), FOLLOWUPS.checkin("day_7"), CALM["day_7"], tr)
    [row] = [r for r in await table_rows(bot, Followup) if r["status"] == "answered"]
    assert row["answers"]["grant_received"] == "yes"
    assert [row[f"score_{n}"] for n in ("economic", "social", "psychosocial", "composite")] == [
        None
    ] * 4


@pytest.mark.parametrize("checkin", [c.id for c in FOLLOWUPS.checkins])
def test_a_check_in_takes_twelve_taps_at_most(checkin: str) -> None:
    """One tap per question, the urgent one counted: only buttons, never typing."""
    steps = FOLLOWUPS.checkin(checkin).flow.steps
    for step in steps:
        one_tap = step.kind in (Kind.CHOICE, Kind.YESNO) or (
            step.kind is Kind.NUMBER and len(step.buttons) == (step.max or 0) - (step.min or 0) + 1
        )
        assert one_tap, f"{checkin}: {step.id} is not answered with one tap"
    assert len(steps) <= 12
    assert "urgent" in {step.id for step in steps}


@pytest.mark.parametrize("checkin", ["month_3", "month_6", "month_12"])
def test_the_reintegration_check_ins_cover_every_dimension(checkin: str) -> None:
    flow = FOLLOWUPS.checkin(checkin).flow
    assert {step.kind for step in flow.steps} <= {Kind.CHOICE, Kind.YESNO}
    assert {step.dimension for step in flow.steps} == {"economic", "social", "psychosocial"}
    assert flow.scoring is not None and sum(flow.scoring.weights.values()) == pytest.approx(1)


@pytest.mark.parametrize("checkin", ["day_7", "month_1"])
def test_the_first_check_ins_ask_whether_the_support_arrived(checkin: str) -> None:
    step = FOLLOWUPS.checkin(checkin).flow.step("grant_received")
    assert [o.value for o in step.options] == ["no", "partly", "yes", "none_planned"]
