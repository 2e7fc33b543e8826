"""Message templates: the usual ones in every language, edited and created by supervisors,
filled in the person's language and sent as the team's words; and their pages."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import update

from bot.app import Runtime
from bot.casework import Casework
from bot.message_templates import USUAL, Given, MessageTemplates, TemplateRefused
from bot.store import AuditEvent, Person, cases, messages
from bot.store.models import MessageTemplate
from tests.helpers import (
    Clock,
    Phone,
    Reach,
    add_account,
    add_case,
    browser,
    sign_in,
    table_rows,
    token,
)
from tests.walker import complete_intake


@pytest.fixture
def reach() -> Reach:
    return Reach()


@pytest.fixture
def templates(bot: Runtime, clock: Clock, reach: Reach) -> MessageTemplates:
    work = Casework(
        bot.store,
        bot.flow,
        bot.catalogs,
        clock,
        reach.notify,
        reach.ask_again,
        office="OIM Rabat",
        notified=frozenset(),
    )
    return MessageTemplates(bot.store, bot.catalogs, work)


async def person_case(bot: Runtime, telegram_id: int, language: str) -> str:
    reference = await add_case(bot, telegram_id)
    async with bot.store.unit() as unit:  # add_case makes a French speaker
        await unit.connection.execute(
            update(Person.__table__)
            .where(Person.__table__.c.telegram_id == telegram_id)
            .values(language=language)
        )
    return reference


async def test_the_usual_templates_exist_in_french_and_english_out_of_the_box(
    bot: Runtime, templates: MessageTemplates
) -> None:
    every = {template.key: template for template in await templates.all()}
    assert {"invitation", "what_to_bring", "call_back", "travel_document"} <= set(every)
    fr, en = bot.catalogs.translator("fr"), bot.catalogs.translator("en")
    for key, usual in USUAL.items():
        texts = every[key].texts
        assert set(texts) == {"fr", "en"} and not any(t.edited for t in texts.values())
        assert texts["en"].body == usual.body and texts["fr"].body == fr.gettext(usual.body)
        assert texts["fr"].body != texts["en"].body  # really translated
        assert texts["en"].title == en.gettext(usual.title)
    assert every["invitation"].needs == ("date", "time")
    assert every["call_back"].needs == ()
    assert await table_rows(bot, MessageTemplate) == []  # nothing stored until edited


async def test_an_edited_template_is_stored_and_wins_over_the_catalog_audited(
    bot: Runtime, templates: MessageTemplates
) -> None:
    before = await templates.get("call_back")
    assert before is not None
    fr = before.texts["fr"]
    edited = "Nous avons essayé de vous appeler ({reference}). Rappelez {office}."
    saved = await templates.save(
        "call_back",
        {"fr": (fr.title, edited), "en": (before.texts["en"].title, before.texts["en"].body)},
        "chief",
    )
    assert saved.texts["fr"].body == edited and saved.texts["fr"].edited
    assert not saved.texts["en"].edited  # left as it was: still the catalog's
    rows = await table_rows(bot, MessageTemplate)
    assert [(r["key"], r["language"], r["body"]) for r in rows] == [("call_back", "fr", edited)]
    again = await templates.get("call_back")
    assert again is not None and again.texts["fr"].body == edited
    (event,) = [e for e in await table_rows(bot, AuditEvent) if e["action"] == "template.edited"]
    assert event["actor"] == "chief"
    assert event["details"] == {"template": "call_back", "languages": ["fr"]}


@pytest.mark.parametrize(
    ("language", "day", "header"),
    [("fr", "3 décembre 2026", "Message de l'équipe"), ("en", "December 3, 2026", "Message from")],
)
async def test_a_template_is_filled_in_the_persons_language_and_sent_as_the_teams(
    bot: Runtime,
    templates: MessageTemplates,
    reach: Reach,
    language: str,
    day: str,
    header: str,
) -> None:
    reference = await person_case(bot, 41, language)
    await templates.send(reference, "invitation", Given(date(2026, 12, 3), "9:30"), "amina")
    ((telegram_id, text),) = reach.sent
    tr = bot.catalogs.translator(language)
    body = tr.gettext(USUAL["invitation"].body).format(
        office="OIM Rabat", date=day, time="09:30", reference=reference
    )
    assert telegram_id == 41 and text.endswith(f"\n\n{body}")
    assert text.startswith(tr.gettext("Message from the {office} team:", office="OIM Rabat"))
    assert header in text and "{" not in text and reference in text and day in text
    async with bot.store.unit() as unit:
        case = await cases.by_reference(unit, reference)
        assert case is not None
        (recorded,) = await messages.of_case(unit, case.id)
    assert recorded.body == body and recorded.author == "amina" and recorded.direction == "out"
    (event,) = [e for e in await table_rows(bot, AuditEvent) if e["action"] == "case.message_sent"]
    assert event["details"] == {"delivered": True, "template": "invitation", "language": language}


async def test_a_template_missing_a_field_is_refused_and_nothing_is_sent(
    bot: Runtime, templates: MessageTemplates, reach: Reach
) -> None:
    reference = await person_case(bot, 42, "fr")
    with pytest.raises(TemplateRefused) as refused:
        await templates.send(reference, "invitation", Given(date(2026, 12, 3)), "amina")
    assert refused.value.fields == ("time",)
    en = bot.catalogs.translator("en")
    assert refused.value.explain(en) == "Fill in what this template needs: Time."
    with pytest.raises(TemplateRefused) as refused:
        await templates.send(reference, "travel_document", Given(), "amina")
    assert refused.value.fields == ("date", "time")
    assert refused.value.explain(bot.catalogs.translator("fr")).endswith("Date, Heure.")
    assert reach.sent == []
    assert [r for r in await table_rows(bot, AuditEvent) if "message" in r["action"]] == []
    await templates.send(reference, "call_back", Given(), "amina")  # needs nothing
    assert len(reach.sent) == 1


@pytest.mark.parametrize(
    "body",
    [
        "Come with {name}",
        "Your {reference.__class__}",
        "Today {date!r}",
        "A {} gap",
        "Open { brace",
    ],
)
async def test_a_template_may_use_only_the_known_fields_plainly(
    bot: Runtime, templates: MessageTemplates, body: str
) -> None:
    texts = {"fr": ("Titre", "Bonjour {reference}"), "en": ("Title", body)}
    with pytest.raises(TemplateRefused) as refused:
        await templates.save("call_back", texts, "chief")
    message = refused.value.explain(bot.catalogs.translator("en"))
    assert message.startswith("The English text uses a field that does not exist")
    assert "{reference}, {office}, {date}, {time}" in message
    assert await table_rows(bot, MessageTemplate) == []


async def test_a_new_template_needs_a_free_name_and_every_language(
    bot: Runtime, templates: MessageTemplates, reach: Reach
) -> None:
    texts = {"fr": ("Documents", "Apportez vos papiers le {date}."), "en": ("Papers", "")}
    with pytest.raises(TemplateRefused) as refused:
        await templates.save("papers", texts, "chief", new=True)
    assert refused.value.language == "en"
    texts["en"] = ("Papers", "Bring your papers on {date}.")
    for taken in ("invitation", "Bad Name"):
        with pytest.raises(TemplateRefused):
            await templates.save(taken, texts, "chief", new=True)
    created = await templates.save("papers", texts, "chief", new=True)
    assert created.needs == ("date",) and not created.usual
    assert [t.key for t in await templates.all()][-1] == "papers"
    reference = await person_case(bot, 43, "en")
    await templates.send(reference, "papers", Given(date(2026, 12, 1)), "amina")
    assert reach.sent[-1][1].endswith("Bring your papers on December 1, 2026.")
    actions = [e["action"] for e in await table_rows(bot, AuditEvent)]
    assert actions.count("template.created") == 1


# The dashboard's pages


@pytest.fixture
async def client(bot: Runtime) -> httpx.AsyncClient:
    async with browser(bot.web) as client:
        yield client  # type: ignore[misc]


async def test_a_supervisor_edits_a_template_and_a_refused_edit_keeps_what_was_typed(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    listing = await client.get("/templates")
    assert listing.status_code == 200
    for title in ("Invitation to the office", "What to bring", "Call-back",
                  "Travel document received"):  # fmt: skip
        assert title in listing.text
    page = await client.get("/templates/call_back")
    assert "keep your phone on" in page.text and "tried to call you" in page.text
    assert "Gardez votre téléphone allumé" in page.text  # the French, from the catalog
    bad = {"csrf_token": token(page), "title_fr": "Rappel", "body_fr": "Rappel {nom}",
           "title_en": "Call-back", "body_en": "We called you about {reference}."}  # fmt: skip
    refused = await client.post("/templates/call_back", data=bad)
    assert refused.status_code == 400
    assert "The French text uses a field that does not exist" in refused.text
    assert "Rappel {nom}" in refused.text and "We called you about {reference}." in refused.text
    good = {**bad, "body_fr": "Nous vous avons appelé ({reference})."}
    saved = await client.post("/templates/call_back", data=good)
    assert saved.status_code == 303 and saved.headers["location"] == "/templates"
    listing = await client.get("/templates")
    assert "(edited)" in listing.text
    assert (await client.get("/templates/nothing")).status_code == 404


async def test_a_supervisor_creates_a_template_in_every_language(
    bot: Runtime, client: httpx.AsyncClient
) -> None:
    await add_account(bot, "chief", "supervisor")
    await sign_in(client, "chief")
    page = await client.get("/templates")
    data = {"csrf_token": token(page), "key": "medical", "title_fr": "Visite médicale",
            "body_fr": "Visite médicale le {date}.", "title_en": "Medical check",
            "body_en": ""}  # fmt: skip
    refused = await client.post("/templates", data=data)
    assert refused.status_code == 400 and "Give the English text a title and a message." in (
        refused.text
    )
    assert 'value="medical"' in refused.text and "Visite médicale le {date}." in refused.text
    created = await client.post("/templates", data={**data, "body_en": "Medical check on {date}."})
    assert created.status_code == 303
    listing = await client.get("/templates")
    assert "Medical check" in listing.text and 'href="/templates/medical"' in listing.text


async def test_caseworkers_cannot_edit_templates(bot: Runtime, client: httpx.AsyncClient) -> None:
    await add_account(bot, "amina", "caseworker")
    await sign_in(client, "amina")
    assert (await client.get("/templates")).status_code == 403
    assert (await client.get("/templates/invitation")).status_code == 403
    page = await client.get("/")
    data = {"csrf_token": token(page), "title_fr": "x", "body_fr": "x", "title_en": "x",
            "body_en": "x", "key": "mine"}  # fmt: skip
    assert (await client.post("/templates/invitation", data=data)).status_code == 403
    assert (await client.post("/templates", data=data)).status_code == 403
    assert "Message templates" not in page.text  # not offered in the menu
    assert await table_rows(bot, MessageTemplate) == []


async def test_a_caseworker_sends_a_template_from_the_case_page_and_a_missing_field_keeps_the_form(
    bot: Runtime, client: httpx.AsyncClient, api: object
) -> None:
    await add_account(bot, "amina", "caseworker")
    reference = await add_case(bot, 44)
    await sign_in(client, "amina")
    page = await client.get(f"/cases/{reference}")
    assert 'action="/cases/' + reference + '/template"' in page.text
    assert "Invitation to the office (to fill in: Date, Time)" in page.text
    data = {"csrf_token": token(page), "template": "invitation", "date": "2026-12-03", "time": ""}
    refused = await client.post(f"/cases/{reference}/template", data=data)
    assert refused.status_code == 400
    assert "Fill in what this template needs: Time." in refused.text
    assert 'value="2026-12-03"' in refused.text
    assert '<option value="invitation" selected>' in refused.text
    sent = await client.post(f"/cases/{reference}/template", data={**data, "time": "10:00"})
    assert sent.status_code == 303
    page = await client.get(f"/cases/{reference}")
    assert str(escape("3 décembre 2026 à 10:00")) in page.text  # what the French person read
    unknown = await client.post("/cases/AVR-2099-99999/template", data=data)
    assert unknown.status_code == 404


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_a_template_sent_from_the_dashboard_arrives_in_the_persons_language(
    bot: Runtime, client: httpx.AsyncClient, phone_factory: object, language: str
) -> None:
    phone: Phone = phone_factory(user_id=4300, language=language)  # type: ignore[operator]
    reference = await complete_intake(phone, language=language)
    await add_account(bot, "amina", "caseworker")
    await sign_in(client, "amina")
    page = await client.get(f"/cases/{reference}")
    data = {"csrf_token": token(page), "template": "travel_document",
            "date": "2026-12-03", "time": "14:30"}  # fmt: skip
    assert (await client.post(f"/cases/{reference}/template", data=data)).status_code == 303
    expected = {
        "fr": f"Votre document de voyage est arrivé. Merci de venir le chercher au bureau "
        f"OIM Rabat le 3 décembre 2026 à 14:30, avec votre référence {reference}.",
        "en": f"Your travel document has arrived. Please come to the OIM Rabat office on "
        f"December 3, 2026 at 14:30 to collect it, and bring your reference {reference}.",
    }[language]
    header = {"fr": "Message de l'équipe OIM Rabat", "en": "Message from the OIM Rabat team"}
    assert phone.last.text.startswith(header[language])
    assert phone.last.text.endswith(f"\n\n{expected}")
