"""Turning a Reply (engine events and service notices) into Telegram messages."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.answers import SAVED, answer_lines, format_answer, shown_answer
from bot.chat import callbacks
from bot.chat.notices import Notices
from bot.chat.office import Office
from bot.chat.outgoing import Markup, Outgoing, rows
from bot.engine import (
    Asked,
    Completed,
    ConsentGiven,
    Ended,
    Flow,
    Ignored,
    Kind,
    LanguageChosen,
    Option,
    Outdated,
    Recorded,
    Rejected,
    Said,
    Toggled,
)
from bot.engine.flow import N_
from bot.engine.navigation import CONFIRM, DONE
from bot.i18n import Catalogs, Translator, language_name
from bot.replies import CheckinReminder, ConsentDetails, Reply

KEYBOARDS_CACHED = 4096
HELP_AFTER_MISSES = 2  # refused answers in a row before a call from staff is offered

REASONS = {
    "use_buttons": N_("Please tap one of the buttons below."),
    "choose_one": N_("Please choose at least one answer, then tap Done."),
    "text_expected": N_("I can only read text here. Please type your answer."),
    "text_too_short": N_("This answer is too short: please write at least {min} characters."),
    "text_too_long": N_("This answer is too long: please write at most {max} characters."),
    "number_format": N_("Please type a number, for example 2."),
    "number_range": N_("Please type a number from {min} to {max}."),
    "date_format": N_("I could not read this date. Please write it like this: 25/12/1990."),
    "date_impossible": N_("This date does not exist. Please check the day and the month."),
    "date_future": N_("This date is in the future. Please check it."),
    "date_too_old": N_("Please check the year of this date."),
    "phone_invalid": N_(
        "This phone number does not look right. Type it with the country code, "
        "for example +212 612 345 678, or tap the button to share your number."
    ),
    "country_unknown": N_(
        "I did not recognise this country. Please check the spelling, or tap a button."
    ),
    "phone_not_of_country": N_("This number does not exist in the country you chose."),
    "contact_not_own": N_(
        "This is someone else's number: it has not been saved. "
        "Please type your own phone number, or share your own number with the button."
    ),
}
HINTS = {
    "country_type": N_("Please type the name of the country."),
    "country_which": N_("Which one do you mean?"),
    "date_confirm": N_("You wrote the year with two digits. Do you mean {date}?"),
    "phone_country": N_("Which country is the number {number} from?"),
    "phone_with_code": N_(
        "Please type the number with its country code, for example +221 77 123 45 67."
    ),
}


class Renderer:
    """Replies as Telegram messages in the person's language: one `case` per item type."""

    def __init__(self, catalogs: Catalogs, flow: Flow, office: Office) -> None:
        self.catalogs = catalogs
        self.flow = flow
        self.facts = office
        self.office = office.name
        self.contact = office.contact
        self.notices = Notices(catalogs, flow, office)
        # Most people at a question see the same buttons; PTB's objects are immutable,
        # so one built keyboard serves them all.
        self._keyboards = functools.lru_cache(maxsize=KEYBOARDS_CACHED)(self._build_keyboard)

    def render(self, reply: Reply, tapped: str | None = None) -> list[Outgoing]:
        """Messages for a reply; `tapped` is the key of the question whose button was tapped."""
        tr = self.catalogs.translator(reply.language)
        out: list[Outgoing] = []
        warning: str | None = None
        refused: Rejected | None = None
        lead: str | None = None  # said in the same message as the next question
        for item in reply.items:
            match item:
                case Rejected(reason=reason, params=params):
                    warning = self._text(tr, REASONS.get(reason, REASONS["use_buttons"]), **params)
                    refused = item
                case Asked() if refused is not None and refused.key == item.key:
                    out.extend(self._refused(tr, item, refused, warning or ""))
                    warning = refused = lead = None
                case Asked():
                    asked = self.ask(tr, item, warning)
                    if lead:
                        asked = replace(asked, text=f"{lead}\n\n{asked.text}")
                    out.append(asked)
                    warning = lead = None
                case Recorded():
                    out.extend(self._recorded(tr, item, tapped))
                case Toggled():
                    if item.key == tapped:  # the tapped question's buttons show the selection
                        out.append(Outgoing("", self._multi_markup(tr, item), markup_only=True))
                case Said(text=text):
                    out.append(Outgoing(self._text(tr, text)))
                case Ended(text=text):
                    goodbye = self._with_contact(tr, self._text(tr, text))
                    out.append(Outgoing(goodbye, ReplyKeyboardRemove()))
                case LanguageChosen() | ConsentGiven() | Completed():
                    pass  # for the service to store; the question or notice after it speaks
                case Outdated() | Ignored():
                    pass  # the current question follows; Outdated's word is the `toast`
                case CheckinReminder():
                    lead = self.notices.render(tr, item).text
                case ConsentDetails(asked=asked) if asked is not None:
                    # The consent's own buttons stay usable under the full notice.
                    details = self.notices.render(tr, item)
                    out.append(replace(details, markup=self._keyboard(tr, asked, more=False)))
                case _:  # every other item is a notice: mypy rejects anything else here
                    out.append(self.notices.render(tr, item))
        if warning:
            out.append(Outgoing(warning))
        return out

    def toast(self, reply: Reply) -> str | None:
        """The short text shown over a tapped button, if the reply calls for one."""
        if any(isinstance(item, Outdated) for item in reply.items):
            return self.catalogs.translator(reply.language).gettext(
                "This question was already answered. Here is the current question."
            )
        return None

    def commands(self, language: str) -> list[tuple[str, str]]:
        """The command menu: (command, description) in `language`."""
        return self.notices.commands(language)

    def ask(self, tr: Translator, asked: Asked, warning: str | None = None) -> Outgoing:
        step = asked.step
        parts = [f"⚠️ {warning}"] if warning else []
        if asked.index is not None and asked.total is not None:
            group = self.flow.step(asked.key.split(".")[0])
            header = tr.gettext(group.item_label, n=asked.index + 1, total=asked.total)
            parts.append(f"👤 {header}")
        if step.kind is Kind.CONSENT:
            parts.append(self.facts.consent_text(tr, step.prompt))
        else:
            parts.append(self._text(tr, step.prompt))
        if asked.review:
            parts.append("\n".join(answer_lines(self.flow, self._review_answers(asked), tr)))
        if asked.previous is not None:
            # While a family group is edited, its first question stands for the group.
            shown = self.flow.step(asked.key.split(".")[0]) if asked.index is not None else step
            current = (
                tr.gettext(SAVED) if step.sensitive else shown_answer(shown, asked.previous, tr)
            )
            parts.append(tr.gettext("Current answer: {answer}", answer=current))
        if asked.hint:
            parts.append(self._hint(tr, asked))
        text = "\n\n".join(parts)
        if step.kind is Kind.PHONE and not asked.options:
            share = KeyboardButton(tr.gettext("📱 Share my phone number"), request_contact=True)
            keyboard = ReplyKeyboardMarkup([[share]], resize_keyboard=True, one_time_keyboard=True)
            return Outgoing(text, keyboard)
        return Outgoing(text, self._keyboard(tr, asked) if asked.options else None)

    def _refused(
        self, tr: Translator, asked: Asked, refused: Rejected, warning: str
    ) -> list[Outgoing]:
        """A refused answer: why, and the question's buttons again without its long text;
        after two refusals in a row, a call from staff is offered in the same message."""
        markup: Markup | None
        if asked.options:
            text, markup = f"⚠️ {warning}", self._keyboard(tr, asked)
        else:  # a typed answer: the question's short text says what to type
            question = self.ask(tr, asked, warning)
            text, markup = question.text, question.markup
        if refused.misses < HELP_AFTER_MISSES:
            return [Outgoing(text, markup)]
        offer = tr.gettext("Is something not clear? A staff member can call you.")
        talk = InlineKeyboardButton(
            tr.gettext("🙋 Talk to a person"), callback_data=callbacks.command("human", "yes")
        )
        if markup is None:
            return [Outgoing(f"{text}\n\n{offer}", InlineKeyboardMarkup([[talk]]))]
        if isinstance(markup, InlineKeyboardMarkup):
            keyboard = InlineKeyboardMarkup([*markup.inline_keyboard, [talk]])
            return [Outgoing(f"{text}\n\n{offer}", keyboard)]
        return [Outgoing(text, markup), Outgoing(offer, InlineKeyboardMarkup([[talk]]))]

    def _hint(self, tr: Translator, asked: Asked) -> str:
        """The narrower question's words, with what it is about (a full date, a number)."""
        assert asked.hint is not None
        proposed = asked.proposed or ""
        if asked.hint == "date_confirm":
            return tr.gettext(HINTS[asked.hint], date=tr.date(date.fromisoformat(proposed)))
        return tr.gettext(HINTS[asked.hint], number=proposed)

    # Events

    def _recorded(self, tr: Translator, item: Recorded, tapped: str | None) -> list[Outgoing]:
        shown = tr.gettext(SAVED) if item.step.sensitive else self._answer(tr, item)
        if item.step.kind is Kind.PHONE:  # typed, shared or its country tapped
            # A message of its own: only one can take the share button's keyboard away.
            return [Outgoing(f"✅ {shown}", ReplyKeyboardRemove())]
        if item.key == tapped:
            return [Outgoing(f"✅ {shown}", edit=True)]
        return []

    def _answer(self, tr: Translator, item: Recorded) -> str:
        if item.step.kind is Kind.LANGUAGE:
            return language_name(str(item.value))
        return format_answer(item.step, item.value, tr)

    def _review_answers(self, asked: Asked) -> dict[str, object]:
        answers: dict[str, object] = {}
        for review in asked.review:
            if review.index is None:
                answers[review.key] = review.value
        return answers

    def _keyboard(self, tr: Translator, asked: Asked, more: bool = True) -> InlineKeyboardMarkup:
        """The question's buttons; a consent with a full notice also offers "Read more"."""
        more = more and asked.step.kind is Kind.CONSENT and bool(asked.step.notice)
        return self._keyboards(
            tr.language,
            asked.step.kind,
            asked.key,
            asked.revision,
            asked.options,
            asked.selected,
            more,
        )

    def _build_keyboard(
        self,
        language: str,
        kind: Kind,
        key: str,
        revision: int,
        options: tuple[Option, ...],
        selected: tuple[str, ...],
        more: bool = False,
    ) -> InlineKeyboardMarkup:
        """The buttons of a question: everything they show and carry is in the arguments."""
        tr = self.catalogs.translator(language)
        keys = []
        for option in options:
            label = self._option_label(tr, kind, selected, option)
            data = callbacks.answer(revision, key, option.value)
            keys.append(InlineKeyboardButton(label, callback_data=data))
        if kind is Kind.REVIEW:
            return InlineKeyboardMarkup([keys[:1], *rows(keys[1:], 2)])
        long_labels = any(len(b.text) > 18 for b in keys)
        per_row = 1 if long_labels else (3 if kind is Kind.NUMBER else 2)
        if more:
            read = tr.gettext("📄 Read more")
            more_row = [
                InlineKeyboardButton(read, callback_data=callbacks.command("consent", "more"))
            ]
            return InlineKeyboardMarkup([*rows(keys, per_row), more_row])
        return InlineKeyboardMarkup(rows(keys, per_row))

    def _multi_markup(self, tr: Translator, toggled: Toggled) -> InlineKeyboardMarkup:
        return self._keyboards(
            tr.language,
            toggled.step.kind,
            toggled.key,
            toggled.revision,
            toggled.options,
            toggled.selected,
        )

    def _option_label(
        self, tr: Translator, kind: Kind, selected: tuple[str, ...], option: Option
    ) -> str:
        if kind in (Kind.COUNTRY, Kind.PHONE) and not option.label:  # a country's code
            return tr.country(option.value)
        if kind is Kind.LANGUAGE:
            return language_name(option.value)
        if kind is Kind.REVIEW:
            return f"{'✅' if option.value == CONFIRM else '✏️'} {tr.gettext(option.label)}"
        label = tr.gettext(option.label)
        if kind is Kind.MULTI and option.value != DONE:
            return f"{'☑️' if option.value in selected else '⬜'} {label}"
        return label

    def _text(self, tr: Translator, text: str, **params: object) -> str:
        return tr.gettext(text, office=self.office, **params)

    def _with_contact(self, tr: Translator, text: str) -> str:
        if not self.contact:
            return text
        # Not inside the f-string: Babel would not extract it there, nor translate it.
        contact = tr.gettext("Contact: {contact}", contact=self.contact)
        return f"{text}\n\n{contact}"
