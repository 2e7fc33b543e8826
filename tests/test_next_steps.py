"""What happens next: the confirmation after a request, /status's next step, and the
contact in the country of return that every check-in gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.app import Runtime, build
from bot.config import Settings
from bot.store import PreRegistration, cases, people
from tests.helpers import Clock, Phone, add_case, returned_case
from tests.walker import complete_intake

ADDRESS = "12 avenue Mohammed V, Rabat"
HOURS = {"en": "Monday to Friday, 9:00 to 16:00", "fr": "du lundi au vendredi, de 9 h à 16 h"}
DAKAR = {
    "name": "OIM Dakar",
    "phone": "+221 33 869 62 00",
    "hours": {"en": "Mon-Fri 8:00-17:00", "fr": "lun.-ven. 8 h-17 h"},
}


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
        office_hours=HOURS,
        return_contacts={"SN": DAKAR},
    )


CONFIRMATION = {
    "en": (
        "Thank you. Your request has been sent.\n\n"
        "Your reference number is AVR-2026-00001. Keep it: staff will ask for it.\n\n"
        "What happens next: a caseworker will study your request and call you on the number "
        "you gave. Staff may also write to you here, in this chat. This can take several "
        "weeks.\n\n"
        "This help is free. Nobody may ask you for money for it. If someone does, tell "
        "OIM Rabat.\n\n"
        "You may change your mind at any time, even after your request is accepted: just "
        "tell staff.\n\n"
        "You can also come and see us. Address: 12 avenue Mohammed V, Rabat. Opening "
        "hours: Monday to Friday, 9:00 to 16:00.\n\n"
        "You can follow your request with /status, see your data with /mydata, and erase it "
        "with /delete."
    ),
    "fr": (
        "Merci. Votre demande a été envoyée.\n\n"
        "Votre numéro de référence est AVR-2026-00001. Gardez-le\xa0: le personnel vous le "
        "demandera.\n\n"
        "La suite\xa0: un agent va étudier votre demande et vous appeler au numéro que vous "
        "avez donné. Le personnel peut aussi vous écrire ici, dans cette conversation. Cela "
        "peut prendre plusieurs semaines.\n\n"
        "Cette aide est gratuite. Personne n'a le droit de vous demander de l'argent pour "
        "elle. Si quelqu'un le fait, prévenez OIM Rabat.\n\n"
        "Vous pouvez changer d'avis à tout moment, même après l'acceptation de votre "
        "demande\xa0: dites-le simplement au personnel.\n\n"
        "Vous pouvez aussi venir nous voir. Adresse\xa0: 12 avenue Mohammed V, Rabat. "
        "Heures d'ouverture\xa0: du lundi au vendredi, de 9 h à 16 h.\n\n"
        "Vous pouvez suivre votre demande avec /status, voir vos données avec /mydata, et "
        "les effacer avec /delete."
    ),
}


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_confirmation_says_it_is_free_and_where_the_office_is(
    language: str, phone_factory: Any
) -> None:
    phone: Phone = phone_factory(7201, language=language)
    reference = await complete_intake(phone, language=language)
    assert reference == "AVR-2026-00001"
    assert phone.last.text == CONFIRMATION[language]


async def test_without_an_address_the_confirmation_gives_the_office_contact(
    settings: Settings, api: Any, clock: Clock
) -> None:

    plain = settings.model_copy(update={"office_address": "", "office_hours": ""})
    bot = await build(plain, offline=api, clock=clock)
    await bot.start()
    try:
        phone = Phone(bot, api.person(7202, "Awa", "en"))
        await complete_intake(phone, language="en")
        assert "Contact: +212 537 00 00 00" in phone.last.text
        assert "Address" not in phone.last.text and "come to" not in phone.last.text
        assert "This help is free. Nobody may ask you for money for it." in phone.last.text
    finally:
        await bot.stop()


async def set_status(bot: Runtime, reference: str, status: str, language: str) -> None:
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        table = PreRegistration.__table__
        await unit.connection.execute(
            update(table).where(table.c.id == case.id).values(status=status)
        )
        person = await people.find(unit, 7300)
        assert person is not None
        await people.change(unit, person, datetime(2026, 11, 27, tzinfo=UTC), language=language)


@pytest.mark.parametrize(
    ("status", "language", "sentence"),
    [
        (
            "submitted",
            "en",
            "Received: a caseworker will study your request and call you on the number you gave.",
        ),
        (
            "in_review",
            "fr",
            "En cours d'examen\xa0: un agent va vous appeler pour vous rencontrer au bureau "
            "et parler de votre retour.",
        ),
        (
            "needs_info",
            "en",
            "We need more information: please answer the questions staff send you here, or "
            "wait for their call.",
        ),
        (
            "accepted",
            "en",
            "Accepted: staff will call you to prepare your travel documents and your journey.",
        ),
        (
            "accepted",
            "fr",
            "Acceptée\xa0: le personnel va vous appeler pour préparer vos documents de voyage "
            "et votre voyage.",
        ),
        (
            "rejected",
            "en",
            "Not accepted: you can contact OIM Rabat to understand why and to know other "
            "ways to get help.",
        ),
        (
            "departed",
            "fr",
            "Parti\xa0: le personnel dans votre pays de retour va vous contacter pour "
            "préparer votre nouveau départ.",
        ),
    ],
)
async def test_status_says_where_the_request_is_and_what_happens_next(
    status: str, language: str, sentence: str, bot: Runtime, phone_factory: Any
) -> None:
    reference = await add_case(bot, 7300)
    await set_status(bot, reference, status, language)
    phone: Phone = phone_factory(7300, language=language)
    answer = await phone.say("/status")
    assert answer.text.split("\n")[1] == f"{reference} — {sentence}"


async def answer_day_7(
    bot: Runtime, clock: Clock, phone_factory: Any, telegram_id: int, urgent: str
) -> str:
    clock.now = datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert (await bot.dispatcher.run_once()).outcomes == {"sent": 1}
    phone: Phone = phone_factory(telegram_id)
    for value in ("yes", "yes", "family", "yes", urgent):
        await phone.choose(value)
    return (await phone.choose("4")).text


async def test_a_check_in_gives_the_contact_in_the_country_of_return(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    await returned_case(bot, 7401, country="SN")
    done = await answer_day_7(bot, clock, phone_factory, 7401, "safety")
    assert done.endswith(
        "Si vous êtes en danger maintenant, contactez OIM Dakar\xa0: +221 33 869 62 00 "
        "(lun.-ven. 8 h-17 h)."
    )
    assert "+212" not in done  # not the number of the country they left


async def test_a_quiet_check_in_also_says_who_helps_there(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    await returned_case(bot, 7402, country="SN")
    done = await answer_day_7(bot, clock, phone_factory, 7402, "none")
    assert done.endswith(
        "Si vous avez besoin d'aide, contactez OIM Dakar\xa0: +221 33 869 62 00 "
        "(lun.-ven. 8 h-17 h)."
    )


async def test_a_country_with_no_contact_falls_back_to_the_office(
    bot: Runtime, clock: Clock, phone_factory: Any
) -> None:
    await returned_case(bot, 7403, country="CM")
    done = await answer_day_7(bot, clock, phone_factory, 7403, "health")
    assert done.endswith(
        "Si vous êtes en danger maintenant, contactez OIM Rabat\xa0: +212 537 00 00 00 "
        "(du lundi au vendredi, de 9 h à 16 h)."
    )
