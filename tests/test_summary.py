"""The case page as people read and print it: age, why vulnerable, status history in words,
the consent as the person saw it, and the phone as links."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from markupsafe import escape
from sqlalchemy import update

from bot.app import Runtime
from bot.store import PreRegistration
from bot.store.audit import AuditEntry
from bot.store.cases import CaseRecord
from bot.web.summary import Age, age, phone_links, status_history, vulnerable_reasons
from tests.helpers import add_account, add_case, browser, sign_in, token
from tests.walker import intake_flow

TODAY = date(2026, 11, 27)
CHILD = {"name": "Sira", "relationship": "child", "date_of_birth": "2019"}
ADULT = {"name": "Moussa", "relationship": "spouse", "date_of_birth": "1988-05-02"}


def test_age_from_a_full_date_counts_the_birthday() -> None:
    assert age("1990-11-27", TODAY) == Age(36, about=False)
    assert age("1990-11-28", TODAY) == Age(35, about=False)


def test_age_from_a_year_alone_is_about() -> None:
    assert age("1990", TODAY) == Age(36, about=True)
    assert age(None, TODAY) is None and age("soon", TODAY) is None


@pytest.mark.parametrize(
    ("answers", "reasons"),
    [
        ({"medical_needs": True}, ["Medical need"]),
        ({"pregnant": "yes", "protection": True}, ["Pregnancy", "Protection request"]),
        ({"date_of_birth": "1960-01-01"}, ["Aged 65 or more"]),
        ({"family_members": [ADULT, CHILD]}, ["Family with children (under 18)"]),
        ({"medical_needs": False, "pregnant": "no", "family_members": [ADULT]}, []),
    ],
)
def test_the_vulnerable_reasons_are_the_conditions_that_hold(
    answers: dict[str, object], reasons: list[str]
) -> None:
    assert vulnerable_reasons(intake_flow(), answers, TODAY) == reasons


def test_the_status_history_starts_with_the_request_then_each_change() -> None:
    created = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    case = CaseRecord(1, "AVR-1", "accepted", "fr", {}, {}, created)
    trail = [
        AuditEntry(created, "amina", "case.viewed", {}),
        AuditEntry(created, "amina", "case.status_changed",
                   {"from_status": "submitted", "to_status": "in_review"}),
        AuditEntry(created, "chief", "case.status_changed",
                   {"from_status": "in_review", "to_status": "accepted"}),
    ]  # fmt: skip
    history = [(s.status, s.actor) for s in status_history(case, trail)]
    assert history == [("submitted", None), ("in_review", "amina"), ("accepted", "chief")]


def test_the_phone_links_call_and_whatsapp_with_digits_only() -> None:
    assert phone_links("+212 600-000 001") == ("tel:+212600000001", "https://wa.me/212600000001")
    assert phone_links("") is None


async def _case_page(bot: Runtime, language: str = "en") -> str:
    await add_account(bot)
    reference = await add_case(
        bot, 7, date_of_birth="1990", phone="+212600000007", medical_needs=True,
        family_count=2, family_members=[ADULT, CHILD],
    )  # fmt: skip
    # As the bot records them: the consent is the first answer of the timeline.
    answered_at = {"consent": "2026-11-27T09:50:00+00:00", "full_name": "2026-11-27T10:00:00+00:00"}
    async with bot.store.unit() as unit:
        await unit.connection.execute(
            update(PreRegistration)
            .where(PreRegistration.reference == reference)
            .values(answered_at=answered_at)
        )
    async with browser(bot.web) as client:
        await sign_in(client)
        page = await client.get(f"/cases/{reference}")
        change = {"status": "in_review", "notify": "no", "csrf_token": token(page)}
        assert (await client.post(f"/cases/{reference}/status", data=change)).status_code == 303
        await client.post("/language", data={"language": language, "csrf_token": token(page)})
        return (await client.get(f"/cases/{reference}")).text


async def test_the_case_page_sums_the_case_up_in_english(bot: Runtime) -> None:
    page = await _case_page(bot)
    assert "about 36 years old (only the year of birth is known)" in page
    assert "Medical need" in page and "Family with children (under 18)" in page
    assert "Received, waiting for review" in page and "Being reviewed" in page
    assert "by amina" in page and "case.status_changed" in page  # the audit keeps its codes
    assert 'href="tel:+212600000007"' in page and 'href="https://wa.me/212600000007"' in page
    # The person wrote in French: the consent is shown as they read it, facts filled.
    assert "The consent as the person read it (Français)" in page
    assert "OIM Rabat peut vous aider à rentrer chez vous" in page
    assert "Agreed on 2026-11-27 09:50 UTC." in page
    assert "{office}" not in page and "{retention_days}" not in page  # nor in the timeline
    assert "</time> Consent</li>" in page


async def test_the_case_page_sums_the_case_up_in_french(bot: Runtime) -> None:
    page = await _case_page(bot, "fr")
    assert "environ 36 ans" in page
    assert "Besoin médical" in page and "Famille avec enfants (moins de 18 ans)" in page
    assert escape("Reçue, en attente d'étude") in page and escape("En cours d'étude") in page
    assert "par amina" in page
    assert "OIM Rabat peut vous aider à rentrer chez vous" in page and "{office}" not in page
