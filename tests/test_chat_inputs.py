"""Odd inputs, old and forged buttons, restarts, and the commands, over the real PTB pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import Runtime, build
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.store import Flag, IntakeSession, Person, PreRegistration
from tests.helpers import Clock, Phone, at_full_name, fast_forward, session_state, table_rows
from tests.walker import complete_intake

NAME_QUESTION = "What is your full name? Write it as on your documents, if you have any."
BIRTH_QUESTION = (
    "What is your date of birth? Write it like this: 25/12/1990. "
    "If you only know the year, write the year: 1990."
)


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location"])
async def test_non_text_gets_a_polite_reask(bot: Runtime, phone_factory: Any, kind: str) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    reply = await phone.send(getattr(phone.person, kind)())
    assert reply.text == f"⚠️ I can only read text here. Please type your answer.\n\n{NAME_QUESTION}"
    assert "full_name" not in (await session_state(bot)).answers


async def test_text_where_a_button_is_expected_asks_for_a_tap(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    for typed in ("I am a woman", "2", "²"):  # a typed digit is not a button number
        reply = await phone.say(typed)
        # A short hint with the buttons: the question itself is not sent again.
        assert reply.text.startswith("⚠️ Please tap one of the buttons below.")
        assert "What is your sex?" not in reply.text
        assert [b["text"] for b in reply.buttons][:2] == ["Female", "Male"]
    assert "sex" not in (await session_state(bot)).answers


async def test_over_long_text_gets_a_clear_message(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    reply = await phone.say("x" * 3000)
    assert phone.inbox[-2].text == "Your message is too long. Please send a shorter answer."
    assert reply.text == NAME_QUESTION  # and the question again
    reply = await phone.say("x" * 101)
    assert reply.text.startswith("⚠️ This answer is too long: please write at most 100 characters.")
    reply = await phone.say("x")
    assert reply.text.startswith("⚠️ This answer is too short: please write at least 2 characters.")
    assert "full_name" not in (await session_state(bot)).answers


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("yesterday", "I could not read this date."),
        ("30/02/1990", "This date does not exist."),
        ("01/01/2027", "This date is in the future."),
        ("01/01/1850", "Please check the year of this date."),
    ],
)
async def test_bad_dates_are_refused_with_a_reason(
    bot: Runtime, phone_factory: Any, typed: str, reason: str
) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    await phone.tap("Female")
    reply = await phone.say(typed)
    assert reply.text.startswith(f"⚠️ {reason}")
    assert reply.text.endswith(BIRTH_QUESTION)


async def test_phone_number_validation(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    for answer in ("Awa Diallo", None, "01/01/1990", "Senegal"):
        await (phone.tap("Female") if answer is None else phone.say(answer))
    reply = await phone.say("12345")
    assert reply.text.startswith("⚠️ This phone number does not look right.")
    assert reply.reply_markup is not None
    assert reply.keyboard[0]["request_contact"] is True  # the share button is offered again
    await phone.say("06 12 34 56 78")  # typed, Moroccan default region
    assert (await session_state(bot)).answers["phone"] == "+212612345678"


async def test_unknown_country_and_numbers_out_of_range(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    for answer in ("Awa Diallo", None, "01/01/1990"):
        await (phone.tap("Female") if answer is None else phone.say(answer))
    reply = await phone.say("Atlantis")
    assert reply.text.startswith("⚠️ I did not recognise this country.")
    reply = await phone.say("Senegall")  # a typo: suggest, do not guess
    assert "Which one do you mean?" in reply.text
    assert [b["text"] for b in reply.buttons] == ["Senegal", "Other country"]
    await phone.tap("Senegal")
    await phone.say("+221771234567")
    await phone.tap("Rabat")
    await phone.tap("Less than 6 months")
    await phone.tap("No papers")
    await phone.tap("Valid passport")
    await phone.tap("Senegal")
    await phone.say("Dakar")
    assert (await phone.say("16")).text.startswith("⚠️ Please type a number from 0 to 15.")
    assert (await phone.say("two")).text.startswith("⚠️ Please type a number, for example 2.")
    await phone.say("12")
    assert "Family member 1 of 12" in phone.last.text


async def test_multi_choice_needs_one_answer(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    state = await fast_forward(bot, phone, until="occupation")
    assert state.key == "occupation"
    reply = await phone.tap("Done")
    assert reply.text.startswith("⚠️ Please choose at least one answer, then tap Done.")


async def test_old_button_reasks_current_question(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    sex_question = phone.last
    sex_keyboard = list(sex_question.buttons)
    await phone.tap("Female")
    # Tap "Male" on the question already answered (its buttons are gone, but an old
    # client or a double tap can still send the data).
    old_data = next(b["callback_data"] for b in sex_keyboard if b["text"] == "Male")
    reply = await phone.send(phone.person.tap(data=old_data, message=sex_question))
    assert reply.text == BIRTH_QUESTION
    answered = [c for c in phone.bot.offline.calls if c[0] == "answerCallbackQuery"]  # type: ignore[union-attr]
    assert answered[-1][1]["text"] == (
        "This question was already answered. Here is the current question."
    )
    assert (await session_state(bot)).answers["sex"] == "female"


@pytest.mark.parametrize(
    "data",
    [
        "garbage",
        "{rev}|sex|queen",  # right question and revision, value never offered
        "!delete|maybe",
        "{rev}|sex|" + "x" * 80,
        "{rev}|../../etc|1",
    ],
)
async def test_forged_button_is_ignored_and_logged(
    bot: Runtime, phone_factory: Any, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    before = await session_state(bot)
    count = len(phone.inbox)
    with caplog.at_level(logging.WARNING):
        revision = phone.last.buttons[0]["callback_data"].split("|")[0]
        await phone.send(phone.person.tap(data=data.format(rev=revision), message=phone.last))
    assert len(phone.inbox) == count  # no reply
    assert await session_state(bot) == before
    assert any("ignored" in r.getMessage() for r in caplog.records)


async def test_edited_message_never_rewrites_an_answer(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    reply = await phone.send(phone.person.edit(4, "Someone Else"))
    assert phone.inbox[-2].text.startswith("Changes to a message already sent are not read.")
    assert "use the summary at the end of the questions" in phone.inbox[-2].text
    assert reply.text == "What is your sex?"
    assert (await session_state(bot)).answers["full_name"] == "Awa Diallo"


async def test_restart_mid_intake_loses_nothing(
    settings: Settings, api: OfflineBotAPI, clock: Clock
) -> None:
    first = await build(settings, offline=api, clock=clock)
    await first.start()
    phone = Phone(first, api.person(9001, "Awa", "en"))
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    sex_question = phone.last
    await first.stop()

    # A new process: new Application, engine objects and database connections.
    second = await build(settings, offline=api, clock=clock)
    await second.start()
    phone = Phone(second, phone.person)
    offer = await phone.say("/start")
    assert [b["text"] for b in offer.buttons] == ["Continue", "Start again"]
    again = await phone.tap("Continue")
    assert again.text == "What is your sex?"
    # The button sent before the restart still works.
    await phone.send(phone.person.tap("Female", message=sex_question))
    state = await session_state(second)
    assert state.answers["full_name"] == "Awa Diallo"
    assert state.answers["sex"] == "female"
    assert state.key == "date_of_birth"
    await second.stop()


async def test_language_switch_reasks_the_current_question(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    menu = await phone.say("/language")
    assert [b["text"] for b in menu.buttons] == ["Français", "English"]  # INTAKE_LANGUAGES
    reply = await phone.tap("Français")
    assert reply.text == bot.catalogs.translator("fr").gettext(NAME_QUESTION)
    state = await session_state(bot)
    assert state.answers["language"] == "fr"
    assert [p["language"] for p in await table_rows(bot, Person)] == ["fr"]


async def test_decline_consent_keeps_nothing(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await phone.say("/start")
    await phone.tap("English")
    reply = await phone.tap("I do not agree")
    assert reply.text.startswith("We respect your choice. Nothing has been saved.")
    assert "Contact: +212 537 00 00 00" in reply.text
    await assert_no_personal_rows(bot)


async def test_not_voluntary_ends_with_referral(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await phone.say("/start")
    await phone.tap("English")
    await phone.tap("I agree")
    reply = await phone.tap("No")
    assert reply.text.startswith("This programme only helps people who choose to go home.")
    await assert_no_personal_rows(bot)


async def test_cancel_asks_then_keeps_nothing(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    confirm = await phone.say("/cancel")
    assert confirm.text == "Stop this request? Your answers will not be kept."
    back = await phone.tap("No, continue")
    assert back.text == "What is your sex?"
    await phone.say("/cancel")
    done = await phone.tap("Yes, stop")
    assert done.text.startswith("Your request has been stopped and your answers erased.")
    await assert_no_personal_rows(bot)
    assert (await phone.say("/cancel")).text.startswith("You have no request in progress.")


async def assert_no_personal_rows(bot: Runtime) -> None:
    assert await table_rows(bot, Person) == []
    assert await table_rows(bot, IntakeSession) == []


async def test_status_mydata_and_help(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    assert (await phone.say("/status")).text.startswith("You have not sent a request yet.")
    assert (await phone.say("/mydata")).text == "We keep no data about you."
    help_text = (await phone.say("/help")).text
    assert "/mydata — See the data we keep about you" in help_text
    assert (await phone.say("/whatever")).text == help_text
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    data = (await phone.say("/mydata")).text
    assert "Full name: Awa Diallo" in data and "Consent given on: November 27, 2026" in data


async def test_commands_registered_in_both_languages(bot: Runtime, api: OfflineBotAPI) -> None:
    assert set(api.commands) == {"", "en", "fr"}
    assert [c["command"] for c in api.commands["fr"]][:2] == ["start", "language"]
    fr = bot.catalogs.translator("fr")
    assert api.commands["fr"][0]["description"] == fr.gettext("Start or continue your request")


async def test_failed_command_registration_is_logged_and_ignored(
    settings: Settings, api: OfflineBotAPI, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail("setMyCommands", 500, "Internal Server Error")
    api.fail("setMyCommands", 400, "Bad Request: too many commands")
    bot = await build(settings, offline=api, clock=clock)
    with caplog.at_level(logging.WARNING):
        await bot.start()
    assert sum("could not register bot commands" in r.getMessage() for r in caplog.records) == 2
    phone = Phone(bot, api.person(1, "A", "en"))
    assert (await phone.say("/start")).buttons  # the bot works all the same
    await bot.stop()


async def test_an_old_suggestion_of_the_same_question_reasks_it(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    await phone.tap("Female")
    suggestions = await phone.say("01/01/1990")
    senegal = next(b["callback_data"] for b in suggestions.buttons if b["text"] == "Senegal")
    await phone.tap("Other country")  # same question, new revision, no suggestions
    reply = await phone.send(phone.person.tap(data=senegal, message=suggestions))
    assert reply.text == "What is your nationality?\n\nPlease type the name of the country."
    assert "nationality" not in (await session_state(bot)).answers


async def test_sensitive_answers_are_not_echoed_after_a_tap(
    bot: Runtime, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(language="en")
    await fast_forward(bot, phone, until="medical_needs")
    question = phone.last
    await phone.tap("Yes")
    assert question.text.endswith("✅ Answer saved")
    assert "Yes" not in question.text.rsplit("\n", 1)[-1]


async def test_a_button_after_cancel_starts_nothing(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    await phone.say("Awa Diallo")
    sex_question = phone.last
    keyboard = list(sex_question.buttons)
    await phone.say("/cancel")
    await phone.tap("Yes, stop")
    female = next(b["callback_data"] for b in keyboard if b["text"] == "Female")
    reply = await phone.send(phone.person.tap(data=female, message=sex_question))
    assert reply.text.startswith("You have no request in progress.")
    await assert_no_personal_rows(bot)


async def test_language_change_without_an_intake(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await phone.say("/language")
    reply = await phone.tap("Français")
    fr = bot.catalogs.translator("fr")
    assert reply.text == fr.gettext("From now on, I will write to you in this language.")
    await assert_no_personal_rows(bot)  # choosing a language stores nothing by itself


async def test_stop_withdraws_followup_consent(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    await fast_forward(bot, phone, until="review")
    await phone.tap("Confirm and send")
    reply = await phone.say("/stop")
    assert reply.text.startswith("Understood: we will not send you messages after your return.")
    (case,) = await table_rows(bot, PreRegistration)
    assert case["answers"]["followup_consent"] is False
    flags = {f["flag"] for f in await table_rows(bot, Flag)}
    assert "no_followup_consent" in flags


async def test_a_failed_update_apologises_and_logs_no_personal_data(
    bot: Runtime, phone_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    phone: Phone = phone_factory(language="en")
    await at_full_name(phone)
    async with bot.store.unit() as unit:  # the disk fills up, say: every session write fails
        if bot.store.dialect == "sqlite":
            trigger = "CREATE TRIGGER disk_full BEFORE UPDATE ON sessions BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            await unit.connection.execute(text(trigger))
        else:
            await unit.connection.execute(
                text(
                    "CREATE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
                )
            )
            await unit.connection.execute(
                text(
                    "CREATE TRIGGER disk_full BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION disk_full()"
                )
            )
    with caplog.at_level(logging.DEBUG):
        reply = await phone.say("Awa Secret-Name")
    assert reply.text.startswith("Sorry, something went wrong on our side.")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "update" in logged and "failed" in logged
    assert "Secret-Name" not in logged
    assert "Secret-Name" not in caplog.text  # nor in any traceback


async def test_talk_to_a_person_flags_the_request(bot: Runtime, phone_factory: Any) -> None:
    phone: Phone = phone_factory(language="en")
    help_message = await phone.say("/help")
    reply = await phone.tap("Talk to a person")  # nothing sent yet: where to turn instead
    assert reply.text.startswith("To talk to a person, contact OIM Rabat")
    await fast_forward(bot, phone, until="medical_needs")
    await phone.say("/human")
    assert phone.inbox[-2].text.startswith("We have noted that you want to talk to a person.")
    assert phone.last.text.startswith("Do you, or someone travelling with you")  # and on
    await complete_intake(phone)
    flags = {f["flag"] for f in await table_rows(bot, Flag)}
    assert "wants_human" in flags
    assert help_message.buttons == []  # the tapped help message lost its button
