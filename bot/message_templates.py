"""Message templates: the office's usual messages in every language, filled in for one person.

The usual templates (an invitation, what to bring, a call-back, a travel document received)
are translatable texts, so every language with a catalog has them from the start. A
supervisor's edit is stored, per language, and wins over the catalog from then on; new
templates are stored only. A caseworker picks one on a case: the person receives it in
their own language, its fields filled in, through the same path as the caseworker's own
words.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.casework import MESSAGE_LIMIT, Casework, NoSuchCase, Refused
from bot.engine.flow import N_
from bot.i18n import Catalogs, Translator, language_names
from bot.store import Store, audit, cases
from bot.store import message_templates as stored_texts

TITLE_LIMIT = 100
KEY_PATTERN = re.compile(r"[a-z0-9_]{2,40}")
TIME_PATTERN = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")

# Every field a template may use, and how the dashboard names it.
FIELDS: dict[str, str] = {
    "reference": N_("the request's reference"),
    "office": N_("the office's name"),
    "date": N_("Date"),
    "time": N_("Time"),
}
# The fields the caseworker gives when sending, in the order the form asks for them; the
# others come from the case and the settings.
GIVEN = ("date", "time")


@dataclass(frozen=True)
class Usual:
    title: str
    body: str


USUAL: dict[str, Usual] = {
    "invitation": Usual(
        N_("Invitation to the office"),
        N_(
            "Please come to the {office} office on {date} at {time} to talk about your "
            "request {reference}. Show this message at the entrance."
        ),
    ),
    "what_to_bring": Usual(
        N_("What to bring"),
        N_(
            "For your appointment about your request {reference}, please bring every identity "
            "document you have, even an expired one (passport, national identity card, "
            "consular card), and those of the family members travelling with you. The "
            "service is free: nobody may ask you for money."
        ),
    ),
    "call_back": Usual(
        N_("Call-back"),
        N_(
            "{office} tried to call you about your request {reference} and could not reach "
            "you. Please keep your phone on: we will call you again. You can also answer here "
            "with a time that suits you."
        ),
    ),
    "travel_document": Usual(
        N_("Travel document received"),
        N_(
            "Your travel document has arrived. Please come to the {office} office on {date} "
            "at {time} to collect it, and bring your reference {reference}."
        ),
    ),
    # Sent by the reintegration's ledger (bot/reintegration.py), {date} the day of the event.
    "plan_agreed": Usual(
        N_("Reintegration plan agreed"),
        N_(
            "Your reintegration plan was agreed on {date} (request {reference}). {office} "
            "and its partner in your country will now prepare the support in kind agreed with "
            "you. This support is free: nobody may ask you for money."
        ),
    ),
    "grant_delivered": Usual(
        N_("Reintegration support delivered"),
        N_(
            "Part of your reintegration support was handed over to you on {date} (request "
            "{reference}). If something is missing or not as agreed, write to us here. This "
            "support is free: nobody may ask you for money."
        ),
    ),
}


@dataclass(frozen=True)
class Text:
    """One language's text of a template; `edited`: stored, rather than the catalog's."""

    title: str
    body: str
    edited: bool = False


@dataclass(frozen=True)
class Template:
    key: str
    texts: dict[str, Text]  # by language; a language without a text is missing
    usual: bool  # one of the office's usual templates, translated in the catalogs

    def title(self, language: str) -> str:
        text = self.texts.get(language) or next(iter(self.texts.values()), None)
        return text.title if text is not None else self.key

    @property
    def needs(self) -> tuple[str, ...]:
        """The fields the caseworker must give, whichever language the person reads."""
        used = {name for text in self.texts.values() for name in placeholders(text.body)}
        return tuple(name for name in GIVEN if name in used)


@dataclass(frozen=True)
class Given:
    """What the caseworker fills in when sending: the template takes what it needs."""

    date: date | None = None
    time: str = ""

    def values(self) -> dict[str, str]:
        """The given text fields, written the same whoever typed them ("9:30" -> "09:30"); a
        time that is none counts as not given."""
        time = parse_time(self.time)
        return {"time": time} if time else {}

    def filled(self) -> set[str]:
        """The given fields that have a value."""
        return set(self.values()) | ({"date"} if self.date is not None else set())


class TemplateRefused(Refused):
    """A template refused, with what the reason names: fields, a language."""

    def __init__(
        self, reason: str, fields: tuple[str, ...] = (), language: str = "", field: str = ""
    ) -> None:
        # The form field at fault: the first missing one, else the one named.
        super().__init__(reason, fields[0] if fields else field)
        self.fields = fields
        self.language = language

    def explain(self, tr: Translator) -> str:
        names = ", ".join(tr.gettext(FIELDS[name]) for name in self.fields if name in FIELDS)
        known = ", ".join("{" + name + "}" for name in FIELDS)
        # The language named in the reader's: "the French text", "le texte en anglais".
        language = language_names(self.language, [tr.language])[-1] if self.language else ""
        return tr.gettext(self.reason, fields=names, known=known, language=language)


def placeholders(body: str) -> list[str]:
    """The fields a text uses; ValueError for braces that are not a known field, plain."""
    names = []
    for _literal, name, spec, conversion in string.Formatter().parse(body):
        if name is None:
            continue
        if name not in FIELDS or spec or conversion:  # no {reference.attr}, {date!r}, {}
            raise ValueError(name)
        names.append(name)
    return names


class MessageTemplates:
    """The templates, bound to the store, the catalogs and the way to reach a person."""

    def __init__(self, store: Store, catalogs: Catalogs, casework: Casework) -> None:
        self.store = store
        self.catalogs = catalogs
        self.casework = casework
        self.clock = casework.clock

    @property
    def languages(self) -> tuple[str, ...]:
        return self.catalogs.languages

    async def all(self) -> list[Template]:
        """The usual templates first, then the office's own in the order created."""
        async with self.store.unit() as unit:
            rows = await stored_texts.stored(unit)
        keys = list(dict.fromkeys([*USUAL, *(row.key for row in rows)]))
        return [self._template(key, [row for row in rows if row.key == key]) for key in keys]

    async def get(self, key: str) -> Template | None:
        async with self.store.unit() as unit:
            rows = await stored_texts.stored(unit, key)
        return self._template(key, rows) if key in USUAL or rows else None

    async def save(
        self, key: str, texts: Mapping[str, tuple[str, str]], actor: str, *, new: bool = False
    ) -> Template:
        """Write a template's (title, body) in every offered language; audited.

        `new`: a template created under the name `key`. Raises TemplateRefused, nothing
        written, for a name taken or malformed, a language left empty, an unknown field.
        """
        cleaned = {lang: self._checked(lang, *texts.get(lang, ("", ""))) for lang in self.languages}
        now = self.clock()
        async with self.store.unit() as unit:
            exists = key in USUAL or bool(await stored_texts.stored(unit, key))
            if new and not KEY_PATTERN.fullmatch(key):
                raise TemplateRefused(
                    N_("Give the template a short name: 2 to 40 lowercase letters, digits or _.")
                )
            if new and exists:
                raise TemplateRefused(N_("A template has this name already."))
            if not new and not exists:
                raise TemplateRefused(N_("No such template."))
            current = self._template(key, await stored_texts.stored(unit, key))
            changed = []
            for language, (title, body) in cleaned.items():
                before = current.texts.get(language)
                if before is not None and (before.title, before.body) == (title, body):
                    continue  # a usual text left as it was stays the catalog's
                if await stored_texts.save(unit, key, language, title, body, actor, now):
                    changed.append(language)
            action = "template.created" if new else "template.edited"
            await audit.record(unit, action, now, actor=actor, template=key, languages=changed)
            rows = await stored_texts.stored(unit, key)
        return self._template(key, rows)

    def fill(self, template: Template, language: str, reference: str, given: Given) -> str:
        """The template's text in `language` with every field filled; TemplateRefused if a
        field it needs is not given, or it has no text in that language."""
        missing = tuple(name for name in template.needs if name not in given.filled())
        if missing:
            raise TemplateRefused(N_("Fill in what this template needs: {fields}."), missing)
        text = template.texts.get(language)
        if text is None:
            raise TemplateRefused(
                N_("This template has no text in {language} yet: a supervisor can add it."),
                language=language,
            )
        tr = self.catalogs.translator(language)
        values: dict[str, Any] = {"reference": reference, "office": self.casework.office}
        values |= given.values()
        if given.date is not None:
            values["date"] = tr.date(given.date)  # "3 décembre 2026", "December 3, 2026"
        try:
            placeholders(text.body)
            return text.body.format(**values)
        except (ValueError, KeyError, IndexError):  # never a raw {field} to the person
            raise TemplateRefused(
                N_("The {language} text of this template uses a field that does not exist."),
                language=language,
            ) from None

    async def send(self, reference: str, key: str, given: Given, actor: str) -> cases.CaseRecord:
        """The template, filled in the person's language, sent to the person of the case.
        Raises NoSuchCase, or TemplateRefused with nothing sent."""
        async with self.store.unit() as unit:
            found = await cases.by_reference(unit, reference)
            if found is None:
                raise NoSuchCase(reference)
            person = await cases.recipient(unit, found.id)
            rows = await stored_texts.stored(unit, key)
        if key not in USUAL and not rows:
            raise TemplateRefused(N_("No such template."))
        template = self._template(key, rows)
        if person is None:
            raise TemplateRefused(N_("The person can no longer be reached through the bot."))
        language = self.catalogs.translator(person[1]).language
        text = self.fill(template, language, found.reference, given)
        await self.casework.send_text(found, text, actor, template=key, language=language)
        return found

    def _template(self, key: str, rows: list[stored_texts.TemplateText]) -> Template:
        texts: dict[str, Text] = {}
        usual = USUAL.get(key)
        for language in self.languages:
            row = next((row for row in rows if row.language == language), None)
            if row is not None:
                texts[language] = Text(row.title, row.body, edited=True)
            elif usual is not None:
                tr = self.catalogs.translator(language)
                texts[language] = Text(tr.gettext(usual.title), tr.gettext(usual.body))
        return Template(key, texts, usual is not None)

    def _checked(self, language: str, title: str, body: str) -> tuple[str, str]:
        title, body = title.strip(), body.strip().replace("\r\n", "\n")
        if not title or not body:
            field = f"{'body' if title else 'title'}_{language}"
            reason = N_("Give the {language} text a title and a message.")
            raise TemplateRefused(reason, language=language, field=field)
        if len(title) > TITLE_LIMIT or len(body) > MESSAGE_LIMIT:
            raise TemplateRefused(
                N_("The {language} text is too long."), language=language, field=f"body_{language}"
            )
        try:
            placeholders(body)
        except ValueError:
            raise TemplateRefused(
                N_("The {language} text uses a field that does not exist: use only {known}."),
                language=language,
                field=f"body_{language}",
            ) from None
        return title, body


def template_choices(
    templates: list[Template], tr: Translator, language: str, reference: str, office: str
) -> list[Any]:
    """The templates as a case page offers them: (key, title in the reader's language, the
    fields to fill in, the text the person would read, the case's facts filled in and the
    fields still to give shown by their names, as "[Date]")."""
    known = {"reference": reference, "office": office}
    choices = []
    for template in templates:
        needs = ", ".join(tr.gettext(FIELDS[name]) for name in template.needs)
        text = template.texts.get(language)
        preview = ""
        if text is not None:
            shown = {name: f"[{tr.gettext(FIELDS[name])}]" for name in GIVEN} | known
            try:
                preview = text.body.format(**shown)
            except (ValueError, KeyError, IndexError):
                preview = text.body
        choices.append((template.key, template.title(tr.language), needs, preview))
    return choices


def parse_time(value: str) -> str:
    """A time of day as "HH:MM", or "" for anything else."""
    value = value.strip()
    if not TIME_PATTERN.fullmatch(value):
        return ""
    hours, minutes = value.split(":")
    return f"{int(hours):02d}:{minutes}"
