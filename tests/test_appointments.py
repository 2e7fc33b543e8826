"""Appointments: booked by a caseworker, told, reminded and kept through the real bot."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot import flags
from bot.app import Runtime, build
from bot.appointments import AppointmentRefused, Appointments, ButtonData, button, parse
from bot.casework import Casework, StatusChange
from bot.chat.callbacks import decode
from bot.chat.transport import OfflineBotAPI
from bot.config import Settings
from bot.store import Submission, audit, cases, messages, notes, people
from bot.store import appointments as rows
from bot.store.appointments import AppointmentRecord
from tests.helpers import Clock, Phone

PERSON = 5001
MONDAY = date(2026, 11, 30)  # the clock starts on Friday 27 November 2026, 11:00 in Rabat
TUESDAY = date(2026, 12, 1)
ADDRESS = "11 avenue Ibn Sina, Agdal, Rabat"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=database_url,
        telegram_bot_token=None,
        office_name="OIM Rabat",
        office_contact="+212 537 00 00 00",
        office_address=ADDRESS,
        appointment_slot_limit=2,
    )


def service(bot: Runtime) -> Appointments:
    assert bot.appointments is not None
    return bot.appointments


async def new_case(bot: Runtime, telegram_id: int = PERSON, language: str = "fr") -> str:
    """A sent request of a person who writes in `language`."""
    values = {"full_name": "Awa Diallo", "date_of_birth": "1990-01-01", "nationality": "SN"}
    async with bot.store.unit() as unit:
        person = await people.find(unit, telegram_id)
        if person is None:
            person = await people.add(unit, telegram_id, language, bot.service.clock())
        submission = Submission(values, {}, (), "1", f"awa {telegram_id}")
        sent = await cases.submit(unit, person, submission, "AVR", bot.service.clock())
    return sent.reference


async def case_of(bot: Runtime, reference: str) -> cases.CaseRecord:
    async with bot.store.unit() as unit:
        found = await cases.by_reference(unit, reference)
    assert found is not None
    return found


async def appointments_of(bot: Runtime, reference: str) -> list[AppointmentRecord]:
    case = await case_of(bot, reference)
    async with bot.store.unit() as unit:
        return await rows.of_case(unit, case.id)


async def actions(bot: Runtime, reference: str) -> list[str]:
    case = await case_of(bot, reference)
    async with bot.store.unit() as unit:
        return [entry.action for entry in await audit.trail(unit, case.id)]


async def fill(bot: Runtime, day: date, hour: int, people_from: int) -> None:
    """Book the slot full with other people's cases."""
    for n in range(2):
        other = await new_case(bot, people_from + n)
        await service(bot).book(other, "interview", day, hour, "amina")


# The service


async def test_booking_keeps_the_appointment_and_invites_the_person_in_their_language(
    bot: Runtime, phone_factory: object
) -> None:
    phone: Phone = phone_factory(PERSON, "fr")  # type: ignore[operator]
    reference = await new_case(bot)
    booked = await service(bot).book(reference, "interview", MONDAY, 10, "amina")
    assert booked.status == rows.BOOKED
    assert booked.starts_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 in Rabat
    assert booked.remind_at == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # Sunday, 10:00 there
    invitation = phone.last
    assert "30 novembre 2026 à 10:00" in invitation.text
    assert ADDRESS in invitation.text and reference in invitation.text
    assert [b["text"] for b in invitation.buttons] == ["Je viendrai", "Je ne peux pas venir"]
    assert "appointment.booked" in await actions(bot, reference)


async def test_a_full_slot_is_refused_and_another_hour_is_not(bot: Runtime) -> None:
    await fill(bot, MONDAY, 10, 6000)
    reference = await new_case(bot)
    with pytest.raises(AppointmentRefused) as refused:
        await service(bot).book(reference, "interview", MONDAY, 10, "amina")
    fr = bot.catalogs.translator("fr")
    assert refused.value.text(fr) == (
        "Ce créneau est complet (2 rendez-vous)\u00a0: choisissez une autre heure."
    )
    assert await appointments_of(bot, reference) == []
    await service(bot).book(reference, "interview", MONDAY, 11, "amina")
    assert len(await appointments_of(bot, reference)) == 1


@pytest.mark.parametrize(
    ("kind", "day", "hour"),
    [
        ("party", MONDAY, 10),  # no such kind
        ("interview", date(2026, 11, 28), 10),  # a Saturday
        ("interview", MONDAY, 13),  # not an office hour
        ("interview", date(2026, 11, 27), 9),  # this morning: past
        ("interview", None, 10),
    ],
)
async def test_a_booking_outside_office_hours_or_in_the_past_is_refused(
    bot: Runtime, kind: str, day: date | None, hour: int
) -> None:
    reference = await new_case(bot)
    with pytest.raises(AppointmentRefused):
        await service(bot).book(reference, kind, day, hour, "amina")
    assert await appointments_of(bot, reference) == []


async def test_the_reminder_goes_the_day_before_once_even_after_a_restart(
    bot: Runtime, clock: Clock, settings: Settings, api: OfflineBotAPI, phone_factory: object
) -> None:
    phone: Phone = phone_factory(PERSON, "fr")  # type: ignore[operator]
    reference = await new_case(bot)
    await service(bot).book(reference, "counselling", MONDAY, 10, "amina")
    assert await service(bot).remind_due() == 0  # Friday: not due
    clock.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # Sunday, 10:00 in Rabat
    restarted = await build(settings, offline=api, clock=clock)  # the row is on disk
    await restarted.start()
    try:
        assert restarted.appointments is not None
        assert await restarted.appointments.remind_due() == 1
        assert await restarted.appointments.remind_due() == 0
    finally:
        await restarted.stop()
    assert await service(bot).remind_due() == 0
    reminders = [m for m in phone.inbox if m.text.startswith("Rappel")]
    assert len(reminders) == 1
    assert "demain" in reminders[0].text and "30 novembre 2026 à 10:00" in reminders[0].text
    [record] = await appointments_of(bot, reference)
    assert record.reminded_at == clock.now
    assert "appointment.reminded" in await actions(bot, reference)


async def test_a_case_closed_cancels_its_appointment_and_no_reminder_goes(
    bot: Runtime, clock: Clock, phone_factory: object
) -> None:
    phone: Phone = phone_factory(PERSON, "fr")  # type: ignore[operator]
    reference = await new_case(bot)
    await service(bot).book(reference, "interview", MONDAY, 10, "amina")

    async def reach(*_: object) -> bool:
        return True

    work = Casework(bot.store, bot.flow, bot.catalogs, clock, reach, reach, office="OIM Rabat",
                    notified=frozenset())  # fmt: skip
    await work.change_status(reference, StatusChange("withdrawn", note="Stays here."), "amina")
    [record] = await appointments_of(bot, reference)
    assert record.status == rows.CANCELLED
    clock.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # when the reminder was due
    assert await service(bot).remind_due() == 0
    assert not [m for m in phone.inbox if m.text.startswith("Rappel")]


async def test_a_reminder_found_at_night_waits_for_the_morning(
    bot: Runtime, clock: Clock, phone_factory: object
) -> None:
    phone: Phone = phone_factory(PERSON, "fr")  # type: ignore[operator]
    reference = await new_case(bot)
    await service(bot).book(reference, "interview", MONDAY, 11, "amina")
    clock.now = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # the process was down all day
    assert await service(bot).remind_due() == 0
    [record] = await appointments_of(bot, reference)
    assert record.remind_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 08:00 in Rabat
    clock.now = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert await service(bot).remind_due() == 1
    assert phone.last.text.startswith("Rappel")


async def test_no_reminder_for_an_appointment_already_past(bot: Runtime, clock: Clock) -> None:
    reference = await new_case(bot)
    await service(bot).book(reference, "interview", MONDAY, 10, "amina")
    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert await service(bot).remind_due() == 0
    [record] = await appointments_of(bot, reference)
    assert record.reminded_at is not None
    assert "appointment.reminder_skipped" in await actions(bot, reference)


async def test_outcomes_are_recorded_once_the_time_has_come(bot: Runtime, clock: Clock) -> None:
    reference = await new_case(bot)
    booked = await service(bot).book(reference, "interview", MONDAY, 10, "amina")
    with pytest.raises(AppointmentRefused):
        await service(bot).record_outcome(reference, booked.id, "came", "amina")
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    await service(bot).record_outcome(reference, booked.id, "came", "amina")
    [record] = await appointments_of(bot, reference)
    assert record.status == rows.CAME
    with pytest.raises(AppointmentRefused):  # already recorded
        await service(bot).record_outcome(reference, booked.id, "no_show", "amina")
    assert "appointment.outcome" in await actions(bot, reference)


async def test_a_second_no_show_flags_the_case(bot: Runtime, clock: Clock) -> None:
    reference = await new_case(bot)
    first = await service(bot).book(reference, "interview", MONDAY, 10, "amina")
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    await service(bot).record_outcome(reference, first.id, "no_show", "amina")
    assert flags.MISSED not in (await case_of(bot, reference)).flags
    second = await service(bot).book(reference, "interview", TUESDAY, 10, "amina")
    clock.now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    await service(bot).record_outcome(reference, second.id, "no_show", "amina")
    assert flags.MISSED in (await case_of(bot, reference)).flags


async def test_a_new_booking_replaces_the_open_one(bot: Runtime) -> None:
    reference = await new_case(bot)
    await service(bot).book(reference, "interview", MONDAY, 10, "amina")
    await service(bot).book(reference, "interview", TUESDAY, 10, "amina")
    statuses = [a.status for a in await appointments_of(bot, reference)]
    assert statuses == [rows.BOOKED, rows.RESCHEDULED]


# Through the bot, in French and in English

WORDS = {
    "fr": {
        "come": "Je viendrai",
        "cannot": "Je ne peux pas venir",
        "more": "Aucun de ceux-ci",
        "thanks": "Merci. Nous vous attendons le 30 novembre 2026 à 10:00.",
        "monday_10": "30 novembre 2026 à 10:00",
        "monday_11": "30 novembre 2026 à 11:00",
        "reminder": "Rappel\u00a0: votre rendez-vous est demain.",
        "new": "Votre nouveau rendez-vous est réservé.",
        "asked": "Nous avons demandé au bureau",
        "stale": "Ce message n’est plus à jour\u00a0: voyez le plus récent.",
    },
    "en": {
        "come": "I will come",
        "cannot": "I cannot come",
        "more": "None of these",
        "thanks": "Thank you. We expect you on November 30, 2026 at 10:00.",
        "monday_10": "November 30, 2026 at 10:00",
        "monday_11": "November 30, 2026 at 11:00",
        "reminder": "Reminder: your appointment is tomorrow.",
        "new": "Your new appointment is booked.",
        "asked": "We have asked the office",
        "stale": "This message is out of date: see the latest one.",
    },
}


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_the_person_answers_the_invitation_and_gets_the_reminder(
    bot: Runtime, clock: Clock, phone_factory: object, language: str
) -> None:
    words = WORDS[language]
    phone: Phone = phone_factory(PERSON, language)  # type: ignore[operator]
    reference = await new_case(bot, language=language)
    await service(bot).book(reference, "interview", MONDAY, 10, "amina")
    invitation = phone.last
    assert words["monday_10"] in invitation.text
    await phone.tap(words["come"])
    assert phone.last.text == words["thanks"]
    assert invitation.buttons == []  # answered: its buttons went
    [record] = await appointments_of(bot, reference)
    assert record.status == rows.CONFIRMED
    clock.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    await service(bot).remind_due()
    reminder = phone.last
    assert reminder.text.startswith(words["reminder"]) and words["monday_10"] in reminder.text
    assert [b["text"] for b in reminder.buttons] == [words["come"], words["cannot"]]
    assert "appointment.answered" in await actions(bot, reference)


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_the_person_who_cannot_come_picks_one_of_three_free_times(
    bot: Runtime, phone_factory: object, language: str
) -> None:
    words = WORDS[language]
    phone: Phone = phone_factory(PERSON, language)  # type: ignore[operator]
    reference = await new_case(bot, language=language)
    await service(bot).book(reference, "interview", TUESDAY, 9, "amina")
    await fill(bot, MONDAY, 9, 6000)  # Monday 9:00 is full: not offered
    await phone.tap(words["cannot"])
    offer = phone.last
    labels = [b["text"] for b in offer.buttons]
    other_time = offer.buttons[0]["callback_data"]
    assert len(labels) == 4 and labels[3].startswith(words["more"])
    assert words["monday_10"] in labels[0] and words["monday_11"] in labels[1]
    assert "14:00" in labels[2]
    await phone.tap(labels[1])
    assert phone.last.text.startswith(words["new"])
    assert words["monday_11"] in phone.last.text and phone.last.buttons == []
    old, new = sorted(await appointments_of(bot, reference), key=lambda a: a.id)
    assert old.status == rows.RESCHEDULED
    assert new.status == rows.CONFIRMED
    assert new.starts_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert new.remind_at == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    # The offer's other times are gone with it: tapping one again changes nothing.
    await phone.send(phone.person.tap(data=other_time, message=offer))
    assert len(await appointments_of(bot, reference)) == 2


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_the_person_who_cannot_come_may_ask_the_office_for_other_times(
    bot: Runtime, phone_factory: object, language: str
) -> None:
    words = WORDS[language]
    phone: Phone = phone_factory(PERSON, language)  # type: ignore[operator]
    reference = await new_case(bot, language=language)
    await service(bot).book(reference, "interview", MONDAY, 10, "amina")
    await phone.tap(words["cannot"])
    await phone.tap(words["more"])
    assert phone.last.text.startswith(words["asked"])
    [record] = await appointments_of(bot, reference)
    assert record.status == rows.MORE
    case = await case_of(bot, reference)
    assert flags.MORE_TIMES in case.flags
    async with bot.store.unit() as unit:
        [message] = await messages.of_case(unit, case.id)
        [note] = await notes.of_case(unit, case.id)
    assert message.direction == "in" and "30" in message.body and note.body == message.body
    # A new booking answers the request: the flag goes.
    await service(bot).book(reference, "interview", TUESDAY, 10, "amina")
    assert flags.MORE_TIMES not in (await case_of(bot, reference)).flags


async def test_a_slot_taken_meanwhile_is_offered_again_not_booked(
    bot: Runtime, phone_factory: object
) -> None:
    phone: Phone = phone_factory(PERSON, "en")  # type: ignore[operator]
    reference = await new_case(bot, language="en")
    await service(bot).book(reference, "interview", TUESDAY, 9, "amina")
    await phone.tap("I cannot come")
    first = phone.last.buttons[0]["text"]
    await fill(bot, MONDAY, 9, 6000)  # the first time offered fills up meanwhile
    await phone.tap(first)
    assert phone.last.text.startswith("This time was just taken")
    assert all(b["text"] != first for b in phone.last.buttons)
    assert [a.status for a in await appointments_of(bot, reference)] == [rows.CANNOT]


async def test_an_old_button_or_someone_elses_changes_nothing(
    bot: Runtime, phone_factory: object
) -> None:
    phone: Phone = phone_factory(PERSON, "en")  # type: ignore[operator]
    stranger: Phone = phone_factory(PERSON + 1, "en")  # type: ignore[operator]
    reference = await new_case(bot, language="en")
    booked = await service(bot).book(reference, "interview", MONDAY, 10, "amina")
    invitation = phone.last
    await phone.tap("I will come")
    count = len(phone.inbox)
    # The same invitation's other button, now out of date.
    stale = button(booked.id, booked.revision, "no")
    await phone.send(phone.person.tap(data=stale, message=invitation))
    assert len(phone.inbox) == count
    # Someone else, with the data of a button that is current, in their own chat.
    await stranger.say("/help")
    current = button(booked.id, booked.revision + 1, "no")
    await stranger.send(stranger.person.tap(data=current, message=stranger.last))
    # Made-up data.
    await phone.send(phone.person.tap(data="a|999|1|yes", message=invitation))
    await phone.send(phone.person.tap(data="a|1|1|s9", message=invitation))
    [record] = await appointments_of(bot, reference)
    assert record.status == rows.CONFIRMED and record.revision == booked.revision + 1
    assert len(phone.inbox) == count
    assert [a for a in await actions(bot, reference) if a == "appointment.answered"] == [
        "appointment.answered"
    ]


def test_button_data_is_short_and_read_back_strictly() -> None:
    data = button(999_999_999, 99_999, "more")
    assert len(data.encode()) <= 64
    assert parse(data) == ButtonData(999_999_999, 99_999, "more")
    for forged in ("a|1|1|yes\n", "a|1|1|s3", "a|x|1|yes", "a|1|1|YES", "a|1||yes", "1|a|1|yes"):
        assert parse(forged) is None
    assert decode("a|12|3|s2") == ButtonData(12, 3, "s2")


async def test_the_reminders_are_swept_by_a_scheduled_job(bot: Runtime) -> None:
    assert bot.application.job_queue is not None
    assert "appointments" in {job.name for job in bot.application.job_queue.jobs()}


async def test_bookings_of_one_slot_at_the_same_moment_keep_to_its_limit(bot: Runtime) -> None:
    references = [await new_case(bot, 6000 + n) for n in range(4)]

    async def attempt(reference: str) -> bool:
        try:
            await service(bot).book(reference, "interview", MONDAY, 10, "amina")
        except AppointmentRefused:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt(r) for r in references))
    assert sorted(outcomes) == [False, False, True, True]  # the limit is 2
