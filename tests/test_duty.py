"""Duty notifications: a red flag reaches the case's caseworker, or the duty officer, in
their own Telegram chat, linked with a one-time code; and a daily digest of their cases.
On real databases and the real PTB pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import flags
from bot.app import Runtime
from bot.config import Settings
from bot.duty import Duty
from bot.passwords import hash_password
from bot.store import IntakeSession, Person, accounts, assignment, cases, messages
from bot.store.models import AuditEvent, OutboxMessage, StaffChat, StaffLinkCode
from tests.helpers import (
    PASSWORD,
    Clock,
    Phone,
    add_case,
    browser,
    returned_case,
    sign_in,
    table_rows,
)
from tests.walker import complete_intake

DASHBOARD = "https://cases.example.org"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The office's settings, with a duty officer and the dashboard's public address."""
    return settings.model_copy(update={"duty_officer": "sara", "dashboard_url": DASHBOARD})


def duty(bot: Runtime) -> Duty:
    assert bot.duty is not None
    return bot.duty


async def staff(bot: Runtime, name: str, language: str = "en") -> int:
    """A caseworker's dashboard account; its id."""
    async with bot.store.unit() as unit:
        made = await accounts.add_account(
            unit, name, hash_password(PASSWORD), "caseworker", language, bot.service.clock()
        )
    return made.id


async def linked(bot: Runtime, phone_factory: Any, name: str, chat: int, language: str) -> Phone:
    """A staff account whose own Telegram chat is linked, as its owner does it."""
    account_id = await staff(bot, name, language)
    phone: Phone = phone_factory(chat, language, name.title())
    code = await duty(bot).new_code(account_id, name)
    await phone.say(f"/link {code.code}")
    return phone


async def assign(bot: Runtime, reference: str, name: str) -> int:
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        account = await accounts.by_username(unit, name)
        assert case is not None and account is not None
        await assignment.assign(unit, case.id, account.id, "boss", bot.service.clock())
    return case.id


async def raise_flag(bot: Runtime, case_id: int, name: str) -> int:
    """A flag raised on a case in one transaction, as the services do."""
    async with bot.store.unit() as unit:
        await cases.add_flag(unit, case_id, name)
        return await duty(bot).flagged(unit, case_id, [name], bot.service.clock())


async def waiting(bot: Runtime) -> list[Any]:
    return await table_rows(bot, OutboxMessage)


async def actions(bot: Runtime) -> list[tuple[str, dict[str, Any]]]:
    return [(r["action"], r["details"]) for r in await table_rows(bot, AuditEvent)]


# Who is told.


async def test_a_red_flag_on_an_assigned_case_goes_to_its_caseworker(
    bot: Runtime, phone_factory: Any
) -> None:
    amina = await linked(bot, phone_factory, "amina", 9001, "en")
    sara = await linked(bot, phone_factory, "sara", 9002, "fr")
    reference = await add_case(bot, 61, full_name="Awa Diallo")
    case_id = await assign(bot, reference, "amina")
    assert await raise_flag(bot, case_id, "urgent_health") == 1
    (row,) = await waiting(bot)
    assert row["chat_id"] == 9001
    assert row["text"] == (
        f"🔴 Red flag on case {reference}: Urgent health problem.\n{DASHBOARD}/cases/{reference}"
    )
    await bot.outbox.send_waiting(timedelta(0))
    assert amina.last.text == row["text"]
    assert len(sara.inbox) == 1  # only the word that her chat was linked
    assert ("duty.notified", {"flag": "urgent_health", "account_id": 1, "why": "assignee"}) in (
        await actions(bot)
    )


async def test_a_red_flag_on_a_case_nobody_has_goes_to_the_duty_officer_in_her_language(
    bot: Runtime, phone_factory: Any
) -> None:
    sara = await linked(bot, phone_factory, "sara", 9002, "fr")
    reference = await add_case(bot, 62)
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
    assert case is not None
    await raise_flag(bot, case.id, "unsafe")
    await bot.outbox.send_waiting(timedelta(0))
    assert sara.last.text == (
        f"🔴 Drapeau rouge sur le dossier {reference}\u00a0: Ne se sent pas en sécurité.\n"
        f"{DASHBOARD}/cases/{reference}"
    )


async def test_a_caseworker_with_no_linked_chat_leaves_it_to_the_duty_officer(
    bot: Runtime, phone_factory: Any
) -> None:
    await staff(bot, "amina")
    sara = await linked(bot, phone_factory, "sara", 9002, "en")
    case_id = await assign(bot, await add_case(bot, 63), "amina")
    await raise_flag(bot, case_id, "unsafe")
    await bot.outbox.send_waiting(timedelta(0))
    assert "Red flag on case" in sara.last.text
    assert ("duty.notified", {"flag": "unsafe", "account_id": 2, "why": "duty_officer"}) in (
        await actions(bot)
    )


async def test_with_nobody_linked_nothing_is_queued_and_the_audit_says_so(bot: Runtime) -> None:
    await staff(bot, "sara")  # the duty officer, with no chat linked
    reference = await add_case(bot, 64)
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
    assert case is not None
    assert await raise_flag(bot, case.id, "unsafe") == 0
    assert await waiting(bot) == []
    assert ("duty.nobody_linked", {"flag": "unsafe"}) in await actions(bot)


async def test_a_flag_that_is_not_red_tells_nobody(bot: Runtime, phone_factory: Any) -> None:
    await linked(bot, phone_factory, "sara", 9002, "en")
    reference = await add_case(bot, 65)
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
    assert case is not None
    assert await raise_flag(bot, case.id, "family_case") == 0
    assert [r for r in await waiting(bot) if r["chat_id"] == 9002] == []


async def test_a_deactivated_account_is_told_nothing(bot: Runtime, phone_factory: Any) -> None:
    await linked(bot, phone_factory, "sara", 9002, "en")
    reference = await add_case(bot, 66)
    async with bot.store.unit() as unit:
        account = await accounts.by_username(unit, "sara")
        assert account is not None
        await accounts.set_active(unit, account.id, False)
        case = await cases.by_reference(unit, reference)
    assert case is not None
    assert await raise_flag(bot, case.id, "unsafe") == 0


async def test_the_notification_holds_no_personal_data(bot: Runtime, phone_factory: Any) -> None:
    await linked(bot, phone_factory, "sara", 9002, "en")
    reference = await add_case(
        bot, 67, full_name="Awa Diallo", phone="+221770000067", date_of_birth="1990-01-01"
    )
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
    assert case is not None
    await raise_flag(bot, case.id, "urgent_health")
    (row,) = await waiting(bot)
    for personal in ("Awa", "Diallo", "+221770000067", "1990", "67"):
        assert personal not in row["text"].replace(reference, "")


async def test_a_rolled_back_flag_tells_nobody(bot: Runtime, phone_factory: Any) -> None:
    await linked(bot, phone_factory, "sara", 9002, "en")
    reference = await add_case(bot, 68)
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
    assert case is not None
    with pytest.raises(RuntimeError):
        async with bot.store.unit() as unit:
            await cases.add_flag(unit, case.id, "unsafe")
            await duty(bot).flagged(unit, case.id, ["unsafe"], bot.service.clock())
            raise RuntimeError("the transaction that raised it failed")
    assert await waiting(bot) == []


async def test_the_red_flags_are_read_from_the_registry(
    bot: Runtime, phone_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await linked(bot, phone_factory, "sara", 9002, "en")
    reference = await add_case(bot, 69)
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
    assert case is not None
    monkeypatch.setattr(flags, "RED", flags.RED | {flags.WANTS_HUMAN})
    assert await raise_flag(bot, case.id, flags.WANTS_HUMAN) == 1


# Linking a staff chat, over the real PTB pipeline.


@pytest.mark.parametrize(
    ("language", "linked_text", "refused_text"),
    [
        (
            "en",
            "This chat now receives the duty notifications and the daily digest of the "
            "dashboard account sara.",
            "This code is wrong, already used or expired: nothing was linked.",
        ),
        (
            "fr",
            "Cette discussion reçoit désormais les alertes de permanence et le résumé "
            "quotidien du compte sara du tableau de bord.",
            "Ce code est erroné, déjà utilisé ou expiré\u00a0: rien n’a été lié.",
        ),
    ],
)
async def test_a_staff_chat_is_linked_by_its_one_time_code_only(
    bot: Runtime,
    phone_factory: Any,
    clock: Clock,
    language: str,
    linked_text: str,
    refused_text: str,
) -> None:
    account_id = await staff(bot, "sara", language)
    phone: Phone = phone_factory(9002, language, "Sara")
    await phone.say("/link ABCDEFGHJK")  # wrong
    assert refused_text in phone.last.text
    code = await duty(bot).new_code(account_id, "sara")
    clock.advance(minutes=11)
    await phone.say(f"/link {code.code}")  # expired
    assert refused_text in phone.last.text
    assert await table_rows(bot, StaffChat) == []
    code = await duty(bot).new_code(account_id, "sara")
    await phone.say(f"/link {code.code.lower()[:5]} {code.code.lower()[5:]}")  # as typed
    assert linked_text in phone.last.text
    other: Phone = phone_factory(9003, language, "Someone")
    await other.say(f"/link {code.code}")  # reused
    assert refused_text in other.last.text
    (row,) = await table_rows(bot, StaffChat)
    assert row["chat_id"] == 9002 and row["account_id"] == account_id
    # None of it is a person or an intake, and no code is kept in clear.
    assert await table_rows(bot, Person) == [] and await table_rows(bot, IntakeSession) == []
    assert await table_rows(bot, StaffLinkCode) == []
    done = [a for a, _ in await actions(bot) if a.startswith("staff_chat.")]
    assert done == [
        "staff_chat.link_refused",
        "staff_chat.code_shown",
        "staff_chat.link_refused",
        "staff_chat.code_shown",
        "staff_chat.linked",
        "staff_chat.link_refused",
    ]


async def test_the_deep_link_links_the_chat_without_starting_an_intake(
    bot: Runtime, phone_factory: Any
) -> None:
    account_id = await staff(bot, "amina")
    phone: Phone = phone_factory(9001, "en", "Amina")
    code = await duty(bot).new_code(account_id, "amina")
    await phone.say(f"/start staff-{code.code}")
    assert "dashboard account amina" in phone.last.text
    assert len(phone.inbox) == 1
    assert await table_rows(bot, IntakeSession) == []


async def test_a_new_code_replaces_the_one_shown_before(bot: Runtime, phone_factory: Any) -> None:
    account_id = await staff(bot, "amina")
    first = await duty(bot).new_code(account_id, "amina")
    await duty(bot).new_code(account_id, "amina")
    phone: Phone = phone_factory(9001, "en", "Amina")
    await phone.say(f"/link {first.code}")
    assert "nothing was linked" in phone.last.text


# The notification arriving when a person's conversation raises a red flag.


@pytest.mark.parametrize(
    ("language", "flag_label"),
    [("en", "Unaccompanied minor"), ("fr", "Mineur non accompagné")],
)
async def test_an_intake_raising_a_red_flag_reaches_the_duty_officer_chat(
    bot: Runtime,
    phone_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    flag_label: str,
) -> None:
    monkeypatch.setattr(flags, "RED", flags.RED | {"unaccompanied_minor"})
    sara = await linked(bot, phone_factory, "sara", 9002, language)
    person: Phone = phone_factory(5001, language, "Awa")
    await person.say("/start")
    reference = await complete_intake(person, language=language, date_of_birth="01/01/2012")
    assert await table_rows(bot, OutboxMessage) != []  # queued with the case, not yet sent
    await bot.outbox.send_waiting(timedelta(0))  # the outbox's regular round
    assert reference in sara.last.text and flag_label in sara.last.text
    assert f"{DASHBOARD}/cases/{reference}" in sara.last.text
    assert "Awa" not in sara.last.text and "2012" not in sara.last.text
    assert await table_rows(bot, OutboxMessage) == []


async def test_a_person_asking_for_a_human_reaches_the_duty_officer_once(
    bot: Runtime, phone_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flags, "RED", flags.RED | {flags.WANTS_HUMAN})
    sara = await linked(bot, phone_factory, "sara", 9002, "en")
    reference = await add_case(bot, 5002)
    person: Phone = phone_factory(5002, "fr", "Awa")
    await person.say("/human")
    await person.say("/human")  # already flagged: nobody is woken twice
    await bot.outbox.send_waiting(timedelta(0))
    told = [m.text for m in sara.inbox if reference in m.text]
    assert told == [
        f"🔴 Red flag on case {reference}: Wants to talk to a person.\n"
        f"{DASHBOARD}/cases/{reference}"
    ]


async def test_a_red_check_in_answer_reaches_the_caseworker_of_the_case(
    bot: Runtime, phone_factory: Any, clock: Clock
) -> None:
    amina = await linked(bot, phone_factory, "amina", 9001, "fr")
    case_id = await returned_case(bot, 78)
    async with bot.store.unit() as unit:
        await assignment.assign(unit, case_id, 1, "boss", clock())
        case = await cases.by_id(unit, case_id)
    assert case is not None
    clock.now = datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    person: Phone = phone_factory(78)
    for value in ("yes", "no", "family", "no", "safety", "4"):
        await person.choose(value)
    await bot.outbox.send_waiting(timedelta(0))
    assert amina.last.text.startswith(f"🔴 Drapeau rouge sur le dossier {case.reference}")


# The daily digest.


async def test_the_digest_goes_once_a_day_at_its_hour_with_counts_and_references_only(
    bot: Runtime, phone_factory: Any, clock: Clock
) -> None:
    amina = await linked(bot, phone_factory, "amina", 9001, "en")
    await linked(bot, phone_factory, "sara", 9002, "en")  # no case: nothing to say
    clock.now = datetime(2026, 11, 20, 9, tzinfo=UTC)
    old = await add_case(bot, 71, full_name="Awa Diallo")
    old_id = await assign(bot, old, "amina")
    clock.now = datetime(2026, 11, 27, 6, tzinfo=UTC)
    new = await add_case(bot, 72, full_name="Fatou Ba")
    new_id = await assign(bot, new, "amina")
    async with bot.store.unit() as unit:
        for text in ("Bonjour", "Vous êtes là ?"):
            await messages.add(unit, new_id, "in", None, text, True, clock())
        await messages.add(unit, old_id, "in", None, "Allô", True, clock())
    # Casablanca is at UTC+1: 8:00 there is 7:00 UTC.
    clock.now = datetime(2026, 11, 27, 6, 59, tzinfo=UTC)
    assert await duty(bot).send_digests() == 0
    clock.now = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    assert await duty(bot).send_digests() == 1
    clock.advance(hours=3)
    assert await duty(bot).send_digests() == 0  # once a day
    await bot.outbox.send_waiting(timedelta(0))
    assert amina.last.text == "\n".join(
        [
            "Your cases on November 27, 2026:",
            "",
            "Overdue (waiting on the office for more than 3 days): 1",
            f"• {old}",
            "",
            "Unread messages from people: 3",
            f"• {old} (1)",
            f"• {new} (2)",
            "",
            f"{DASHBOARD}/",
        ]
    )
    days = {r["account_id"]: r["digest_on"] for r in await table_rows(bot, StaffChat)}
    assert {str(day) for day in days.values()} == {"2026-11-27"}  # sara's day is marked too
    clock.now = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert await duty(bot).send_digests() == 1  # the next day
    assert ("duty.digest", {"account_id": 1, "overdue": 1, "unread": 2}) in await actions(bot)


async def test_messages_read_on_the_case_page_leave_the_digest(
    bot: Runtime, phone_factory: Any, clock: Clock
) -> None:
    await linked(bot, phone_factory, "amina", 9001, "en")
    reference = await add_case(bot, 73)
    case_id = await assign(bot, reference, "amina")
    async with bot.store.unit() as unit:
        await messages.add(unit, case_id, "in", None, "Bonjour", True, clock())
    clock.advance(minutes=1)
    async with browser(bot.web) as client:  # amina, the case's caseworker, opens it
        await sign_in(client, "amina")
        assert (await client.get(f"/cases/{reference}")).status_code == 200
    clock.now = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert await duty(bot).send_digests() == 0
    assert ("duty.digest", {"account_id": 1, "overdue": 0, "unread": 0}) in await actions(bot)


async def test_a_flag_the_dispatcher_raises_is_told_once_the_registry_makes_it_red(
    bot: Runtime, phone_factory: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flags, "RED", flags.RED | {flags.NO_REPLY})
    sara = await linked(bot, phone_factory, "sara", 9002, "en")
    case_id = await returned_case(bot, 79)
    clock.now = datetime(2026, 11, 27, 10, tzinfo=UTC)
    await bot.dispatcher.run_once()
    clock.advance(hours=48)
    assert (await bot.dispatcher.run_once()).outcomes == {"reminded": 1}
    clock.advance(hours=48)
    assert (await bot.dispatcher.run_once()).outcomes == {"no_reply": 1}
    await bot.outbox.send_waiting(timedelta(0))
    async with bot.store.unit() as unit:
        case = await cases.by_id(unit, case_id)
    assert case is not None
    assert sara.last.text.startswith(
        f"🔴 Red flag on case {case.reference}: No reply to a check-in."
    )


async def test_a_correction_that_raises_a_red_flag_tells_the_caseworker(
    bot: Runtime, phone_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flags, "RED", flags.RED | {"unaccompanied_minor"})
    amina = await linked(bot, phone_factory, "amina", 9001, "en")
    person: Phone = phone_factory(5003, "en", "Awa")
    await person.say("/start")
    reference = await complete_intake(person, language="en")
    case_id = await assign(bot, reference, "amina")
    await bot.outbox.send_waiting(timedelta(0))
    assert len(amina.inbox) == 1  # an adult: nothing to tell
    asked = await bot.service.open_correction(case_id, ["date_of_birth"])  # "needs info"
    assert asked is not None
    await bot.outbox.flush(asked.telegram_id)
    await complete_intake(person, date_of_birth="01/01/2012")
    await bot.outbox.send_waiting(timedelta(0))
    assert amina.last.text.startswith(f"🔴 Red flag on case {reference}: Unaccompanied minor.")


def test_the_dashboard_address_must_be_a_web_address() -> None:
    with pytest.raises(ValueError, match="no web address"):
        Settings(_env_file=None, dashboard_url="cases.example.org")  # type: ignore[call-arg]


async def test_a_code_of_an_account_deactivated_since_links_nothing(
    bot: Runtime, phone_factory: Any
) -> None:
    account_id = await staff(bot, "amina")
    code = await duty(bot).new_code(account_id, "amina")
    async with bot.store.unit() as unit:
        await accounts.set_active(unit, account_id, False)
    phone: Phone = phone_factory(9001, "en", "Amina")
    await phone.say(f"/link {code.code}")
    assert "nothing was linked" in phone.last.text
    assert await table_rows(bot, StaffChat) == []
