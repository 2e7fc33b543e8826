"""Complete intakes through the real PTB Application and the in-process Bot API."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import Runtime
from bot.store import AuditEvent, Flag, Person, PreRegistration
from tests.helpers import Clock, Phone, table_rows
from tests.walker import complete_intake


async def saved_case(bot: Runtime) -> Any:
    (row,) = await table_rows(bot, PreRegistration)
    return row


async def flags_of(bot: Runtime, case: Any) -> list[str]:
    rows = await table_rows(bot, Flag)
    return sorted(r["flag"] for r in rows if r["pre_registration_id"] == case["id"])


def fr(bot: Runtime, message: str, **params: Any) -> str:
    return bot.catalogs.translator("fr").gettext(message, **params)


async def test_complete_french_intake(bot: Runtime, phone_factory: Any, clock: Clock) -> None:
    phone: Phone = phone_factory(user_id=7001, language="fr")
    first = await phone.say("/start")
    assert [b["text"] for b in first.buttons] == ["Français", "English"]
    consent = await phone.choose("fr")
    prompt = bot.flow.step("consent").prompt
    facts = bot.renderer.facts
    assert consent.text == facts.consent_text(bot.catalogs.translator("fr"), prompt)
    assert consent.text != facts.consent_text(bot.catalogs.translator("en"), prompt)
    assert consent.text.startswith("OIM Rabat peut vous aider")  # really French
    # The tapped language question now shows the answer and has no buttons left.
    assert first.buttons == [] and first.text.endswith("✅ Français")

    await phone.choose("agree")
    question = await phone.choose("yes")
    assert question.text == fr(
        bot, "What is your full name? Write it as on your documents, if you have any."
    )
    await phone.say("Awa Diallo")
    await phone.choose("female")
    nationality = await phone.say("12/03/1991")
    assert "Côte d’Ivoire" in [b["text"] for b in nationality.buttons]
    await phone.say("cote d'ivoire")  # typed, not tapped
    phone_question = await phone.send(phone.person.contact("212612345678"))
    assert phone_question.text == fr(bot, "In which city are you now?")
    assert phone.inbox[-2].text == "✅ +212612345678"
    await phone.choose("other")
    await phone.say("Kénitra")
    await phone.choose("years_1_to_3")
    await phone.choose("asylum_seeker")
    await phone.choose("expired_passport")
    assert phone.last.buttons[0]["text"] == "Côte d’Ivoire"  # the nationality comes first
    await phone.choose("CI")
    await phone.say("Abidjan")
    await phone.choose("3")
    members = [
        ("Moussa Diallo", "spouse", "01/01/1985"),
        ("Fanta Diallo", "child", "2018-05-20"),
        ("Ibrahim Diallo", "child", "15.09.2015"),
    ]
    for number, (name, relation, born) in enumerate(members, start=1):
        assert fr(bot, "Family member {n} of {total}", n=number, total=3) in phone.last.text
        await phone.say(name)
        await phone.choose(relation)
        await phone.say(born)
    await phone.choose("no")  # medical needs
    await phone.choose("no")  # pregnant
    await phone.choose("yes")  # protection
    await phone.choose("commerce")
    toggled = await phone.choose("crafts")
    assert sum(b["text"].startswith("☑️") for b in toggled.buttons) == 2
    await phone.choose("done")
    await phone.choose("family_business")
    await phone.say("Vendre des chaussures dans le magasin de mon père")
    review = await phone.choose("yes")  # follow-up messages
    assert fr(bot, "Full name") + ": Awa Diallo" in review.text

    # Correct the name at the review step.
    edit = await phone.choose("edit:full_name")
    assert fr(bot, "Current answer: {answer}", answer="Awa Diallo") in edit.text
    review = await phone.say("Awa Diallo Koné")
    assert fr(bot, "Full name") + ": Awa Diallo Koné" in review.text
    done = await phone.choose("confirm")
    assert "AVR-2026-00001" in done.text
    assert done.text.startswith(fr(bot, "Thank you. Your request has been sent."))
    reference = "Your reference number is {reference}. Keep it: staff will ask for it."
    assert fr(bot, reference, reference="AVR-2026-00001") in done.text

    saved = await saved_case(bot)
    assert saved["reference"] == "AVR-2026-00001"
    assert saved["status"] == "submitted"
    assert saved["language"] == "fr"
    assert saved["answers"] == {
        "language": "fr",
        "consent": "agree",
        "voluntary": "yes",
        "full_name": "Awa Diallo Koné",
        "sex": "female",
        "date_of_birth": "1991-03-12",
        "nationality": "CI",
        "phone": "+212612345678",
        "current_city": "other",
        "current_city_other": "Kénitra",
        "time_in_country": "years_1_to_3",
        "status_in_country": "asylum_seeker",
        "travel_document": "expired_passport",
        "destination_country": "CI",
        "destination_city": "Abidjan",
        "family_count": 3,
        "family_members": [
            {"name": "Moussa Diallo", "relationship": "spouse", "date_of_birth": "1985-01-01"},
            {"name": "Fanta Diallo", "relationship": "child", "date_of_birth": "2018-05-20"},
            {"name": "Ibrahim Diallo", "relationship": "child", "date_of_birth": "2015-09-15"},
        ],
        "medical_needs": False,
        "pregnant": "no",
        "protection": True,
        "occupation": ["crafts", "commerce"],
        "reintegration_plan": "family_business",
        "plan_details": "Vendre des chaussures dans le magasin de mon père",
        "followup_consent": True,
    }
    assert await flags_of(bot, saved) == [
        "family_case",
        "needs_travel_document",
        "refugee_or_asylum",
        "vulnerable",
    ]
    assert (saved["full_name"], saved["phone"], saved["nationality"]) == (
        "Awa Diallo Koné",
        "+212612345678",
        "CI",
    )
    assert (
        "full_name" in saved["answered_at"]
        and "family_members.2.date_of_birth" in saved["answered_at"]
    )
    (person,) = await table_rows(bot, Person)
    assert (person["language"], person["consent_version"]) == ("fr", "2026-11-30")
    assert person["consented_at"] == clock.now
    actions = [a["action"] for a in await table_rows(bot, AuditEvent)]
    assert actions == ["consent.given", "pre_registration.submitted"]


async def test_complete_english_intake(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(user_id=7002, language="en", name="John")
    await phone.say("hello")  # any first message starts the intake
    await phone.tap("English")
    await phone.tap("I agree")
    await phone.tap("not sure")
    await phone.say("  John   Mbeki  ")
    await phone.tap("Male")
    await phone.say("1/2/1960")
    which = await phone.say("congo")  # typed, and ambiguous
    assert "Which one do you mean?" in which.text
    assert [b["text"] for b in which.buttons] == [
        "Congo - Brazzaville",
        "Congo - Kinshasa",
        "Other country",
    ]
    await phone.tap("Kinshasa")
    await phone.send(phone.person.contact("+237677123456"))
    await phone.tap("Casablanca")
    await phone.tap("More than 3 years")
    await phone.tap("No papers")
    await phone.tap("Valid passport")
    await phone.tap("Other country")
    await phone.say("Cameroun")  # French name, typed by an English speaker
    await phone.say("Douala")
    await phone.tap("3")
    for name, relation, born in [
        ("Grace Mbeki", "Husband or wife", "03/04/1962"),
        ("Peter Mbeki", "Brother or sister", "05/06/1965"),
        ("Mary Mbeki", "Other relative", "07/08/1970"),
    ]:
        await phone.say(name)
        await phone.tap(relation)
        await phone.say(born)
    after_family = await phone.tap("Yes")  # medical needs; no pregnancy question for a man
    assert after_family.text == "Would you like to speak privately with staff about your safety?"
    await phone.tap("No")
    await phone.tap("Transport")
    await phone.tap("Done")
    await phone.tap("Start my own business")
    await phone.say("A taxi in Douala")
    review = await phone.tap("No")  # no follow-up messages
    assert "Date of birth: February 1, 1960" in review.text
    assert "Country of return: Cameroon" in review.text

    # A correction at review: a wrong date first, then the right one.
    await phone.tap("Date of birth")
    refused = await phone.say("31/02/1960")
    assert refused.text.startswith("⚠️ This date does not exist.")
    review = await phone.say("01/02/1961")
    assert "Date of birth: February 1, 1961" in review.text
    done = await phone.tap("Confirm and send")
    assert "AVR-2026-00001" in done.text

    saved = await saved_case(bot)
    answers = saved["answers"]
    assert answers["full_name"] == "John Mbeki"
    assert answers["date_of_birth"] == "1961-02-01"
    assert answers["nationality"] == "CD"
    assert answers["phone"] == "+237677123456"
    assert answers["destination_country"] == "CM"
    assert answers["voluntary"] == "unsure"
    assert "pregnant" not in answers
    assert [m["relationship"] for m in answers["family_members"]] == ["spouse", "sibling", "other"]
    assert answers["occupation"] == ["transport"]
    assert answers["followup_consent"] is False
    assert saved["language"] == "en"
    assert await flags_of(bot, saved) == [
        "family_case",
        "no_followup_consent",
        "voluntariness_doubt",
        "vulnerable",
    ]


async def test_a_long_review_is_split_and_a_long_folded_name_is_stored(
    bot: Runtime, phone_factory: Any
) -> None:
    """15 family members with the longest names: no message over Telegram's 4096 characters."""
    phone: Phone = phone_factory(user_id=7003, language="fr")
    await phone.say("/start")
    for value in ("fr", "agree", "yes"):
        await phone.choose(value)
    await phone.say("ß" * 100)  # folds to 200 characters, longer than the name key
    await phone.choose("female")
    await phone.say("01/01/1990")
    await phone.say("Mali")
    await phone.send(phone.person.contact("+22376123456"))
    for value in ("rabat", "years_1_to_3", "no_papers", "valid_passport", "ML"):
        await phone.choose(value)
    await phone.say("B" * 60)
    await phone.say("15")
    for number in range(15):
        await phone.say(f"{number:02d}" + "N" * 98)
        await phone.choose("child")
        await phone.say("01/01/2015")
    for value in ("no", "no", "no", "trade", "other", "done"):
        await phone.choose(value)
    await phone.say("W" * 100)
    await phone.choose("business")
    await phone.say("I" * 200)
    before = len(phone.inbox)
    await phone.choose("yes")
    review = phone.inbox[before:]
    assert len(review) >= 2
    assert all(len(m.text) <= 4096 for m in review)
    assert all(not m.buttons for m in review[:-1]) and review[-1].buttons
    text = "\n".join(m.text for m in review)
    assert all(f"{n:02d}" + "N" * 98 in text for n in range(15))
    done = await phone.choose("confirm")
    assert "AVR-2026-00001" in done.text


async def test_complete_intake_answers_what_it_is_told_and_the_rest_plainly(
    bot: Runtime, phone_factory: Any
) -> None:
    """The tests' intake helper: answers named by step id, defaults for the others."""
    phone: Phone = phone_factory(user_id=7004, language="fr")
    with pytest.raises(TypeError, match="nationalty"):
        await complete_intake(phone, nationalty="SN")
    family = [{"name": "Fanta Diallo", "relationship": "spouse", "date_of_birth": "1992"}, {}]
    reference = await complete_intake(
        phone, nationality="CI", sex="male", family=family, medical_needs=True
    )
    saved = await saved_case(bot)
    assert saved["reference"] == reference == "AVR-2026-00001"
    answers = saved["answers"]
    assert (answers["language"], answers["full_name"], answers["phone"]) == (
        "fr",
        "Awa Diallo",
        "+22376123456",
    )
    assert (answers["nationality"], answers["destination_country"]) == ("CI", "CI")
    assert "pregnant" not in answers  # not asked of a man
    assert answers["medical_needs"] is True and answers["family_count"] == 2
    assert answers["family_members"] == [
        {"name": "Fanta Diallo", "relationship": "spouse", "date_of_birth": "1992"},
        {"name": "Moussa Diallo", "relationship": "child", "date_of_birth": "2015-01-01"},
    ]
