"""The renderer as a table: each reply type's words and buttons, in English and French,
with the real catalogs and the real intake flow."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, get_args

import pytest
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot import replies
from bot.chat.office import Office
from bot.chat.outgoing import Outgoing
from bot.chat.render import Renderer
from bot.config import ROOT
from bot.conversations import load_flows
from bot.engine import (
    Asked,
    Completed,
    ConsentGiven,
    Ended,
    Event,
    Ignored,
    LanguageChosen,
    Option,
    Outdated,
    Recorded,
    Rejected,
    Said,
    Toggled,
)
from bot.i18n import Catalogs

FLOW = load_flows(ROOT / "conversations", ("fr", "en"))["intake"]
RENDERER = Renderer(
    Catalogs(ROOT / "locales", "fr"), FLOW, Office("OIM Rabat", "+212 537 00 00 00")
)
REMOVE = [("(keyboard removed)", "")]
Buttons = list[tuple[str, str]]


def buttons(out: Outgoing) -> Buttons:
    """The message's buttons as (label, callback data); a shared-contact button says so."""
    markup = out.markup
    if isinstance(markup, InlineKeyboardMarkup):
        return [(b.text, str(b.callback_data)) for row in markup.inline_keyboard for b in row]
    if isinstance(markup, ReplyKeyboardMarkup):
        return [
            (b.text, "contact" * bool(b.request_contact)) for row in markup.keyboard for b in row
        ]
    return REMOVE if isinstance(markup, ReplyKeyboardRemove) else []


def only(items: list[replies.Item], language: str, tapped: str | None = None) -> Outgoing:
    (out,) = RENDERER.render(replies.Reply(language, items), tapped)
    return out


# The notices: one row per type (and per variant), English then French.

CHOICE_EN = [("Yes, stop", "!cancel|yes"), ("No, continue", "!cancel|no")]
CHOICE_FR = [("Oui, arrêter", "!cancel|yes"), ("Non, continuer", "!cancel|no")]
NOTICES: list[tuple[replies.Notice, str, str, Buttons, Buttons]] = [
    (
        replies.Submitted("AVR-2026-00042"),
        "Your reference number is AVR-2026-00042.",
        "Votre numéro de référence est AVR-2026-00042.",
        [],
        [],
    ),
    (
        replies.ResumeOffer(),
        "You have a request in progress.",
        "Vous avez une demande en cours.",
        [("Continue", "!resume|continue"), ("Start again", "!resume|restart")],
        [("Continuer", "!resume|continue"), ("Recommencer", "!resume|restart")],
    ),
    (
        replies.AlreadySubmitted("AVR-2026-00042", "new"),
        "You have already sent a request: AVR-2026-00042 (",
        "Vous avez déjà envoyé une demande\xa0: AVR-2026-00042 (",
        [],
        [],
    ),
    (
        replies.LanguageMenu("en"),
        "Choose your language.",
        "Choisissez votre langue.",
        [("English", "!lang|en"), ("Français", "!lang|fr")],
        [("English", "!lang|en"), ("Français", "!lang|fr")],
    ),
    (
        replies.ConfirmCancel(),
        "Stop this request? Your answers will not be kept.",
        "Arrêter cette demande\xa0?",
        CHOICE_EN,
        CHOICE_FR,
    ),
    (
        replies.ConfirmCancel(checkin=True),
        "Stop answering these questions?",
        "Arrêter de répondre à ces questions\xa0?",
        CHOICE_EN,
        CHOICE_FR,
    ),
    (
        replies.Cancelled(),
        "Your request has been stopped and your answers erased.",
        "Votre demande a été arrêtée",
        REMOVE,
        REMOVE,
    ),
    (
        replies.Cancelled(checkin=True),
        "Understood: these questions are closed.",
        "ces questions sont closes.",
        REMOVE,
        REMOVE,
    ),
    (
        replies.NothingOpen(),
        "You have no request in progress.",
        "Vous n'avez pas de demande en cours.",
        [],
        [],
    ),
    (
        replies.ConfirmDelete(),
        "Erase all your data?",
        "Effacer toutes vos données\xa0?",
        [("Yes, erase everything", "!delete|yes"), ("No, keep my data", "!delete|no")],
        [("Oui, tout effacer", "!delete|yes"), ("Non, garder mes données", "!delete|no")],
    ),
    (
        replies.Erased(),
        "All your data has been erased.",
        "Toutes vos données ont été effacées.",
        REMOVE,
        REMOVE,
    ),
    (replies.NothingStored(), "We keep no data about you.", "Nous ne gardons aucune", [], []),
    (
        replies.StatusReport(()),
        "You have not sent a request yet.",
        "Vous n'avez pas encore envoyé de demande.",
        [],
        [],
    ),
    (
        replies.StatusReport((("AVR-2026-00042", "new"),)),
        "Your requests:\nAVR-2026-00042 — ",
        "Vos demandes\xa0:\nAVR-2026-00042 — ",
        [],
        [],
    ),
    (
        replies.DataReport("fr", datetime(2026, 11, 2, tzinfo=UTC), {}, ("AVR-2026-00042",)),
        "This is the data we keep about you:\n\nLanguage: Français",
        "Voici les données que nous gardons sur vous\xa0:\n\nLangue\xa0: Français",
        [],
        [],
    ),
    (
        replies.EditIgnored(),
        "Changes to a message already sent are not read.",
        "Les changements dans un message déjà envoyé ne sont pas lus.",
        [],
        [],
    ),
    (
        replies.Help(),
        "This assistant helps you ask OIM Rabat for help to return home.",
        "Cet assistant vous aide à demander à OIM Rabat une aide",
        [("🙋 Talk to a person", "!human|yes")],
        [("🙋 Parler à une personne", "!human|yes")],
    ),
    (
        replies.TooLong(),
        "Your message is too long.",
        "Votre message est trop long.",
        [],
        [],
    ),
    (
        replies.MessagePassed("AVR-2026-00042"),
        "staff handling your request AVR-2026-00042.",
        "qui s'occupe de votre demande AVR-2026-00042.",
        [],
        [],
    ),
    (
        replies.KeptForStaff("AVR-2026-00042"),
        "as a message to the staff handling your request AVR-2026-00042.",
        "comme message à l'équipe qui s'occupe de votre demande AVR-2026-00042.",
        [],
        [],
    ),
    (
        replies.Corrected("AVR-2026-00042"),
        "Your reference stays AVR-2026-00042.",
        "Votre référence reste AVR-2026-00042.",
        [],
        [],
    ),
    (
        replies.HumanRequested(),
        "We have noted that you want to talk to a person.",
        "Nous avons noté que vous voulez parler à une personne.",
        [],
        [],
    ),
    (
        replies.HumanWithoutRequest(),
        "To talk to a person, contact OIM Rabat,",
        "Pour parler à une personne, contactez OIM Rabat,",
        [],
        [],
    ),
    (
        replies.LanguageChanged(),
        "From now on, I will write to you in this language.",
        "À partir de maintenant, je vous écris dans cette langue.",
        [],
        [],
    ),
    (
        replies.FollowupsStopped(),
        "we will not send you messages after your return.",
        "nous ne vous enverrons pas de messages après votre retour.",
        [],
        [],
    ),
    (
        replies.KeepGoing(),
        "All right, nothing has changed.",
        "D'accord, rien n'a changé.",
        [],
        [],
    ),
    (
        replies.ConsentDetails(None),
        "How OIM Rabat uses your answers\n\nWho collects them: OIM Rabat",
        "Comment OIM Rabat utilise vos réponses\n\nQui les recueille\xa0: OIM Rabat",
        [],
        [],
    ),
    (
        replies.CheckinDone(urgent=True),
        "If you are in danger now, contact OIM Rabat: +212 537 00 00 00",
        "Si vous êtes en danger maintenant, contactez OIM Rabat\xa0: +212 537 00 00 00",
        [],
        [],
    ),
    (
        replies.CheckinDone(urgent=False),
        "They help us support you.",
        "Elles nous aident à vous soutenir.",
        [],
        [],
    ),
    (
        replies.CheckinReminder(),
        "A reminder: OIM Rabat would like to know how you are since your return.",
        "Un rappel\xa0: OIM Rabat aimerait savoir comment vous allez depuis votre retour.",
        [],
        [],
    ),
    (
        replies.IntakeReminder(30),
        "your answers will be erased after 30 days.",
        "vos réponses seront effacées après 30 jours.",
        [],
        [],
    ),
    (
        replies.Apology(),
        "Sorry, something went wrong on our side.",
        "Désolé, un problème est survenu de notre côté.",
        [],
        [],
    ),
    (
        replies.DepartureCheck(12, "AVR-2026-00007", date(2026, 12, 5), "14:30"),
        "Your flight home (request AVR-2026-00007) leaves on December 5, 2026 at 14:30.",
        "Votre vol de retour (demande AVR-2026-00007) part le 5 décembre 2026 à 14:30.",
        [
            ("Yes, I am travelling", "!depart|y_12"),
            ("I have changed my mind", "!depart|n_12"),
            ("I need to talk to someone", "!depart|t_12"),
        ],
        [
            ("Oui, je pars", "!depart|y_12"),
            ("J'ai changé d'avis", "!depart|n_12"),
            ("J'ai besoin de parler à quelqu'un", "!depart|t_12"),
        ],
    ),
    (
        replies.DepartureAnswered("travelling"),
        "Thank you for confirming.",
        "Merci de votre confirmation.",
        [],
        [],
    ),
    (
        replies.DepartureAnswered("changed_mind"),
        "Nobody will make you travel.",
        "Personne ne vous obligera à partir.",
        [],
        [],
    ),
    (
        replies.DepartureAnswered("talk"),
        "A staff member will contact you before your flight.",
        "Un membre de l'équipe vous contactera avant votre vol.",
        [],
        [],
    ),
    (
        replies.StaffLinked("amina"),
        "This chat now receives the duty notifications and the daily digest of the dashboard "
        "account amina.",
        "Cette discussion reçoit désormais les alertes de permanence et le résumé quotidien du "
        "compte amina du tableau de bord.",
        [],
        [],
    ),
    (
        replies.StaffLinkRefused(),
        "This code is wrong, already used or expired: nothing was linked.",
        "Ce code est erroné, déjà utilisé ou expiré",
        [],
        [],
    ),
    (
        replies.DepartureOutdated(),
        "This question is no longer open: nothing has changed.",
        "Cette question n'est plus ouverte\xa0: rien n'a changé.",
        [],
        [],
    ),
]


@pytest.mark.parametrize(
    ("notice", "english", "french", "keyboard_en", "keyboard_fr"),
    NOTICES,
    ids=[f"{type(n).__name__}-{i}" for i, (n, *_) in enumerate(NOTICES)],
)
def test_a_notice_says_its_words_with_its_buttons(
    notice: replies.Notice, english: str, french: str, keyboard_en: Buttons, keyboard_fr: Buttons
) -> None:
    for language, text, keyboard in (("en", english, keyboard_en), ("fr", french, keyboard_fr)):
        out = RENDERER.notices.render(RENDERER.catalogs.translator(language), notice)
        assert text in out.text
        assert buttons(out) == keyboard
        assert not (out.edit or out.markup_only)


def test_every_notice_type_has_a_row_and_non_empty_words_in_every_language() -> None:
    assert {type(row[0]) for row in NOTICES} == set(get_args(replies.Notice))
    for notice, *_ in NOTICES:
        for language in RENDERER.catalogs.languages:
            tr = RENDERER.catalogs.translator(language)
            assert RENDERER.notices.render(tr, notice).text.strip()


# The engine's events, through `Renderer.render` (they depend on what comes around them).

SEX = FLOW.step("sex")
PHONE = FLOW.step("phone")
JOBS = FLOW.step("occupation")
HEALTH = FLOW.step("medical_needs")
SEX_ASKED = Asked("sex", SEX, 7, SEX.options)
SEX_BUTTONS_EN = [
    ("Female", "7|sex|female"),
    ("Male", "7|sex|male"),
    ("Other", "7|sex|other"),
    ("Prefer not to say", "7|sex|undisclosed"),
]
SEX_BUTTONS_FR = [
    ("Femme", "7|sex|female"),
    ("Homme", "7|sex|male"),
    ("Autre", "7|sex|other"),
    ("Je préfère ne pas répondre", "7|sex|undisclosed"),
]
# (items, tapped key, [(text, buttons, edit, markup_only)] in English, then in French)
Expected = list[tuple[str, Buttons, bool, bool]]
EVENTS: list[tuple[str, list[replies.Item], str | None, Expected, Expected]] = [
    (
        "asked",
        [SEX_ASKED],
        None,
        [("What is your sex?", SEX_BUTTONS_EN, False, False)],
        [("Quel est votre sexe\xa0?", SEX_BUTTONS_FR, False, False)],
    ),
    (
        "asked_phone",
        [Asked("phone", PHONE, 7)],
        None,
        [("On which phone number", [("📱 Share my phone number", "contact")], False, False)],
        [("À quel numéro de téléphone", [("📱 Partager mon numéro", "contact")], False, False)],
    ),
    (
        "rejected_then_asked",
        [Rejected("sex", SEX, "use_buttons"), SEX_ASKED],
        None,
        [
            # The short hint and the buttons: the question is not sent again.
            ("⚠️ Please tap one of the buttons below.", SEX_BUTTONS_EN, False, False)
        ],
        [("⚠️ Appuyez sur un des boutons ci-dessous", SEX_BUTTONS_FR, False, False)],
    ),
    (
        "rejected_twice_then_asked",
        [Rejected("sex", SEX, "use_buttons", misses=2), SEX_ASKED],
        None,
        [
            (
                "⚠️ Please tap one of the buttons below.\n\n"
                "Is something not clear? A staff member can call you.",
                [*SEX_BUTTONS_EN, ("🙋 Talk to a person", "!human|yes")],
                False,
                False,
            )
        ],
        [
            (
                "Un membre de l'équipe peut vous appeler.",
                [*SEX_BUTTONS_FR, ("🙋 Parler à une personne", "!human|yes")],
                False,
                False,
            )
        ],
    ),
    (
        "rejected_alone",
        [Rejected("family_count", FLOW.step("family_count"), "number_range", {"min": 0, "max": 9})],
        None,
        [("Please type a number from 0 to 9.", [], False, False)],
        [("Écrivez un nombre de 0 à 9", [], False, False)],
    ),
    (
        "recorded_tapped",
        [Recorded("sex", SEX, "female")],
        "sex",
        [("✅ Female", [], True, False)],
        [("✅ Femme", [], True, False)],
    ),
    (
        "recorded_sensitive",
        [Recorded("medical_needs", HEALTH, True)],
        "medical_needs",
        [("✅ Answer saved", [], True, False)],
        [("✅ Réponse enregistrée", [], True, False)],
    ),
    ("recorded_typed", [Recorded("sex", SEX, "female")], None, [], []),
    (
        "recorded_phone",
        [Recorded("phone", PHONE, "+212612345678")],
        None,
        [("✅ +212", REMOVE, False, False)],
        [("✅ +212", REMOVE, False, False)],
    ),
    (
        "toggled_tapped",
        [Toggled("occupation", JOBS, 7, ("crafts",), (*JOBS.options[2:3], Option("done", "Done")))],
        "occupation",
        [("", [("☑️ Crafts", "7|occupation|crafts"), ("Done", "7|occupation|done")], False, True)],
        [
            (
                "",
                [("☑️ Artisanat", "7|occupation|crafts"), ("Terminé", "7|occupation|done")],
                False,
                True,
            )
        ],
    ),
    ("toggled_elsewhere", [Toggled("occupation", JOBS, 7, (), JOBS.options)], None, [], []),
    (
        "said",
        [Said(FLOW.step("minor_notice").prompt)],
        None,
        [("You are under 18.", [], False, False)],
        [("Vous avez moins de 18 ans.", [], False, False)],
    ),
    (
        "ended",
        [Ended("declined", next(o.end for o in FLOW.step("consent").options if o.end) or "")],
        None,
        [
            (
                "You can still contact OIM Rabat in person.\n\nContact: +212 537 00 00 00",
                REMOVE,
                False,
                False,
            )
        ],
        [("à OIM Rabat en personne.\n\nContact\xa0: +212 537 00 00 00", REMOVE, False, False)],
    ),
    ("language_chosen", [LanguageChosen("fr")], None, [], []),
    ("consent_given", [ConsentGiven("2026-11")], None, [], []),
    ("completed", [Completed({}, ())], None, [], []),
    ("outdated", [Outdated("sex")], None, [], []),
    ("ignored", [Ignored("forged")], None, [], []),
    (
        "reminder_leads_the_question",
        [replies.CheckinReminder(), SEX_ASKED],
        None,
        [("A reminder: OIM Rabat would like", SEX_BUTTONS_EN, False, False)],
        [("Un rappel\xa0: OIM Rabat", SEX_BUTTONS_FR, False, False)],
    ),
]


@pytest.mark.parametrize(
    ("items", "tapped", "english", "french"),
    [row[1:] for row in EVENTS],
    ids=[row[0] for row in EVENTS],
)
def test_events_render_as_messages_edits_or_nothing(
    items: list[replies.Item], tapped: str | None, english: Expected, french: Expected
) -> None:
    for language, expected in (("en", english), ("fr", french)):
        sent = RENDERER.render(replies.Reply(language, items), tapped)
        assert len(sent) == len(expected)
        for out, (text, keyboard, edit, markup_only) in zip(sent, expected, strict=True):
            assert text in out.text if text else out.text == ""
            assert buttons(out) == keyboard
            assert (out.edit, out.markup_only) == (edit, markup_only)


def test_every_engine_event_has_a_row() -> None:
    rendered = {type(item) for _, items, *_ in EVENTS for item in items}
    assert set(get_args(Event)) <= rendered


def test_a_reminder_and_its_question_are_one_message() -> None:
    out = only([replies.CheckinReminder(), SEX_ASKED], "en")
    assert out.text.endswith("send /stop.\n\nWhat is your sex?")


@pytest.mark.parametrize(
    ("items", "english", "french"),
    [
        (
            [Outdated("sex"), SEX_ASKED],
            "This question was already answered. Here is the current question.",
            "Vous avez déjà répondu à cette question. Voici la question en cours.",
        ),
        ([SEX_ASKED], None, None),
    ],
)
def test_an_old_button_gets_a_toast(items: list[Any], english: str, french: str) -> None:
    assert RENDERER.toast(replies.Reply("en", items)) == english
    assert RENDERER.toast(replies.Reply("fr", items)) == french
