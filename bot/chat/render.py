"""Turning a Reply (engine events and service notices) into Telegram messages."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot import replies
from bot.answers import answer_lines, format_answer, status_label
from bot.chat import callbacks
from bot.engine import (
    Asked,
    Ended,
    Flow,
    Kind,
    Option,
    Recorded,
    Rejected,
    Said,
    Toggled,
)
from bot.engine.flow import N_
from bot.engine.runner import CONFIRM, DONE
from bot.i18n import Catalogs, Translator, language_name

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
MESSAGE_LIMIT = 4096
KEYBOARDS_CACHED = 4096

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
}
HINTS = {
    "country_type": N_("Please type the name of the country."),
    "country_which": N_("Which one do you mean?"),
}
COMMANDS = (
    ("start", N_("Start or continue your request")),
    ("language", N_("Change the language")),
    ("status", N_("See where your request is")),
    ("mydata", N_("See the data we keep about you")),
    ("delete", N_("Erase all your data")),
    ("cancel", N_("Stop the request in progress")),
    ("human", N_("Talk to a person")),
    ("stop", N_("No messages after your return")),
    ("help", N_("How this assistant works")),
)


@dataclass(frozen=True)
class Outgoing:
    """A message to send; `edit` replaces the tapped message's text, `markup_only` its buttons."""

    text: str
    markup: Markup | None = None
    edit: bool = False
    markup_only: bool = False


class Renderer:
    def __init__(
        self, catalogs: Catalogs, flow: Flow, office_name: str, office_contact: str = ""
    ) -> None:
        self.catalogs = catalogs
        self.flow = flow
        self.office = office_name
        self.contact = office_contact
        # Most people at a question see the same buttons; PTB's objects are immutable,
        # so one built keyboard serves them all.
        self._keyboards = functools.lru_cache(maxsize=KEYBOARDS_CACHED)(self._build_keyboard)

    def render(self, reply: replies.Reply, tapped: str | None = None) -> list[Outgoing]:
        """Messages for a reply; `tapped` is the key of the question whose button was tapped."""
        tr = self.catalogs.translator(reply.language)
        out: list[Outgoing] = []
        warning: str | None = None
        lead: str | None = None  # said in the same message as the next question
        for item in reply.items:
            if isinstance(item, replies.CheckinReminder):
                lead = tr.gettext(
                    "A reminder: {office} would like to know how you are since your return. "
                    "Your answers help us support you. To stop these messages, send /stop.",
                    office=self.office,
                )
            elif isinstance(item, Rejected):
                warning = self._text(
                    tr, REASONS.get(item.reason, REASONS["use_buttons"]), **item.params
                )
            elif isinstance(item, Asked):
                asked = self.ask(tr, item, warning)
                if lead:
                    asked = replace(asked, text=f"{lead}\n\n{asked.text}")
                out.append(asked)
                warning = lead = None
            elif isinstance(item, Recorded):
                out.extend(self._recorded(tr, item, tapped))
            elif isinstance(item, Toggled) and item.key == tapped:
                out.append(Outgoing("", self._multi_markup(tr, item), markup_only=True))
            elif isinstance(item, Said):
                out.append(Outgoing(self._text(tr, item.text)))
            elif isinstance(item, Ended):
                out.append(
                    Outgoing(
                        self._with_contact(tr, self._text(tr, item.text)), ReplyKeyboardRemove()
                    )
                )
            else:
                out.extend(self._notice(tr, item))
        if warning:
            out.append(Outgoing(warning))
        return [piece for message in out for piece in _split(message)]

    def commands(self, language: str) -> list[tuple[str, str]]:
        tr = self.catalogs.translator(language)
        return [(name, tr.gettext(text)) for name, text in COMMANDS]

    def ask(self, tr: Translator, asked: Asked, warning: str | None = None) -> Outgoing:
        step = asked.step
        parts = [f"⚠️ {warning}"] if warning else []
        if asked.index is not None and asked.total is not None:
            group = self.flow.step(asked.key.split(".")[0])
            header = tr.gettext(group.item_label, n=asked.index + 1, total=asked.total)
            parts.append(f"👤 {header}")
        parts.append(self._text(tr, step.prompt))
        if asked.review:
            parts.append("\n".join(answer_lines(self.flow, self._review_answers(asked), tr)))
        if asked.previous is not None:
            # While a family group is edited, its first question stands for the group.
            shown = self.flow.step(asked.key.split(".")[0]) if asked.index is not None else step
            current = format_answer(shown, asked.previous, tr)
            parts.append(tr.gettext("Current answer: {answer}", answer=current))
        if asked.hint:
            parts.append(tr.gettext(HINTS[asked.hint]))
        text = "\n\n".join(parts)
        if step.kind is Kind.PHONE:
            share = KeyboardButton(tr.gettext("📱 Share my phone number"), request_contact=True)
            keyboard = ReplyKeyboardMarkup([[share]], resize_keyboard=True, one_time_keyboard=True)
            return Outgoing(text, keyboard)
        return Outgoing(text, self._keyboard(tr, asked) if asked.options else None)

    # Events

    def _recorded(self, tr: Translator, item: Recorded, tapped: str | None) -> list[Outgoing]:
        shown = tr.gettext("Answer saved") if item.step.sensitive else self._answer(tr, item)
        if item.key == tapped:
            return [Outgoing(f"✅ {shown}", edit=True)]
        if item.step.kind is Kind.PHONE:
            return [Outgoing(f"✅ {shown}", ReplyKeyboardRemove())]
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

    def _keyboard(self, tr: Translator, asked: Asked) -> InlineKeyboardMarkup:
        return self._keyboards(
            tr.language, asked.step.kind, asked.key, asked.revision, asked.options, asked.selected
        )

    def _build_keyboard(
        self,
        language: str,
        kind: Kind,
        key: str,
        revision: int,
        options: tuple[Option, ...],
        selected: tuple[str, ...],
    ) -> InlineKeyboardMarkup:
        """The buttons of a question: everything they show and carry is in the arguments."""
        tr = self.catalogs.translator(language)
        buttons = []
        for option in options:
            label = self._option_label(tr, kind, selected, option)
            data = callbacks.answer(revision, key, option.value)
            buttons.append(InlineKeyboardButton(label, callback_data=data))
        if kind is Kind.REVIEW:
            return InlineKeyboardMarkup([buttons[:1], *_rows(buttons[1:], 2)])
        long_labels = any(len(b.text) > 18 for b in buttons)
        per_row = 1 if long_labels else (3 if kind is Kind.NUMBER else 2)
        return InlineKeyboardMarkup(_rows(buttons, per_row))

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
        if kind is Kind.COUNTRY and not option.label:
            return tr.country(option.value)
        if kind is Kind.LANGUAGE:
            return language_name(option.value)
        if kind is Kind.REVIEW:
            return f"{'✅' if option.value == CONFIRM else '✏️'} {tr.gettext(option.label)}"
        label = tr.gettext(option.label)
        if kind is Kind.MULTI and option.value != DONE:
            return f"{'☑️' if option.value in selected else '⬜'} {label}"
        return label

    # Notices

    def _notice(self, tr: Translator, item: object) -> list[Outgoing]:
        text = self._notice_text(tr, item)
        if isinstance(item, replies.ResumeOffer):
            return [
                Outgoing(
                    text,
                    _buttons(
                        [
                            (tr.gettext("Continue"), callbacks.command("resume", "continue")),
                            (tr.gettext("Start again"), callbacks.command("resume", "restart")),
                        ]
                    ),
                )
            ]
        if isinstance(item, replies.LanguageMenu):
            menu = [
                (language_name(c), callbacks.command("lang", c)) for c in self.catalogs.languages
            ]
            return [Outgoing(text, _buttons(menu))]
        if isinstance(item, replies.ConfirmCancel):
            return [
                Outgoing(
                    text,
                    _buttons(
                        [
                            (tr.gettext("Yes, stop"), callbacks.command("cancel", "yes")),
                            (tr.gettext("No, continue"), callbacks.command("cancel", "no")),
                        ]
                    ),
                )
            ]
        if isinstance(item, replies.ConfirmDelete):
            return [
                Outgoing(
                    text,
                    _buttons(
                        [
                            (
                                tr.gettext("Yes, erase everything"),
                                callbacks.command("delete", "yes"),
                            ),
                            (tr.gettext("No, keep my data"), callbacks.command("delete", "no")),
                        ]
                    ),
                )
            ]
        if isinstance(item, replies.Help):
            button = (tr.gettext("🙋 Talk to a person"), callbacks.command("human", "yes"))
            return [Outgoing(text, _buttons([button]))]
        if isinstance(item, replies.Cancelled | replies.Erased):
            return [Outgoing(text, ReplyKeyboardRemove())]
        return [Outgoing(text)] if text else []

    def _notice_text(self, tr: Translator, item: object) -> str:
        if isinstance(item, replies.Submitted):
            return tr.gettext(
                "Thank you. Your request has been sent.\n\n"
                "Your reference number is {reference}. Keep it: staff will ask for it.\n\n"
                "What happens next: a caseworker will study your request and call you on the "
                "number you gave. This can take several weeks. You can follow your request "
                "with /status, see your data with /mydata, and erase it with /delete.",
                reference=item.reference,
            )
        if isinstance(item, replies.AlreadySubmitted):
            return tr.gettext(
                "You have already sent a request: {reference} ({status}). "
                "Use /status to follow it, /mydata to see your data, or /delete to erase it.",
                reference=item.reference,
                status=status_label(item.status, tr),
            )
        if isinstance(item, replies.ResumeOffer):
            return tr.gettext(
                "You have a request in progress. Continue where you left off, or start again?"
            )
        if isinstance(item, replies.LanguageMenu):
            return tr.gettext("Choose your language.")
        if isinstance(item, replies.ConfirmCancel) and item.checkin:
            return tr.gettext(
                "Stop answering these questions? Your answers to them will not be kept. "
                "Your request is not affected."
            )
        if isinstance(item, replies.ConfirmCancel):
            return tr.gettext("Stop this request? Your answers will not be kept.")
        if isinstance(item, replies.Cancelled) and item.checkin:
            return tr.gettext(
                "Understood: these questions are closed. Your request is not affected. "
                "To receive no more messages after your return, send /stop."
            )
        if isinstance(item, replies.Cancelled):
            return tr.gettext(
                "Your request has been stopped and your answers erased. "
                "Send /start if you want to begin again."
            )
        if isinstance(item, replies.NothingOpen):
            return tr.gettext("You have no request in progress. Send /start to begin.")
        if isinstance(item, replies.ConfirmDelete):
            return tr.gettext(
                "Erase all your data? Any request you sent will be withdrawn. "
                "This cannot be undone."
            )
        if isinstance(item, replies.Erased):
            return tr.gettext(
                "All your data has been erased. You can send /start at any time if you need help."
            )
        if isinstance(item, replies.NothingStored):
            return tr.gettext("We keep no data about you.")
        if isinstance(item, replies.StatusReport):
            return self._status(tr, item)
        if isinstance(item, replies.DataReport):
            return self._data(tr, item)
        if isinstance(item, replies.EditIgnored):
            return tr.gettext(
                "Changes to a message already sent are not read. To correct an answer, "
                "use the summary at the end of the questions: every answer can be changed there."
            )
        if isinstance(item, replies.Help):
            lines = [f"/{name} — {text}" for name, text in self.commands(tr.language)]
            intro = tr.gettext(
                "This assistant helps you ask {office} for help to return home. "
                "Answer the questions with the buttons, or by typing. Commands:",
                office=self.office,
            )
            return "\n".join([intro, "", *lines])
        if isinstance(item, replies.TooLong):
            return tr.gettext("Your message is too long. Please send a shorter answer.")
        if isinstance(item, replies.LanguageChanged):
            return tr.gettext("From now on, I will write to you in this language.")
        if isinstance(item, replies.CheckinDone) and item.urgent:
            return tr.gettext(
                "Thank you for your answers. A staff member will call you soon about the "
                "problem you told us about. If you are in danger now, contact {office}: {contact}",
                office=self.office,
                contact=self.contact or self.office,
            )
        if isinstance(item, replies.CheckinDone):
            return tr.gettext(
                "Thank you for your answers. They help us support you. "
                "You can stop these messages at any time with /stop."
            )
        if isinstance(item, replies.FollowupsStopped):
            return tr.gettext(
                "Understood: we will not send you messages after your return. "
                "Your request itself is not affected."
            )
        if isinstance(item, replies.MessagePassed):
            return tr.gettext(
                "Thank you. Your message has been passed to the staff handling your request "
                "{reference}.",
                reference=item.reference,
            )
        if isinstance(item, replies.Corrected):
            return tr.gettext(
                "Thank you. Your answers have been updated. Your reference stays {reference}.",
                reference=item.reference,
            )
        if isinstance(item, replies.HumanRequested):
            return tr.gettext(
                "We have noted that you want to talk to a person. "
                "A staff member will contact you as soon as possible."
            )
        if isinstance(item, replies.HumanWithoutRequest):
            return tr.gettext(
                "To talk to a person, contact {office}, or send /start to make a request: "
                "staff will then call you back.",
                office=self.office,
            )
        if isinstance(item, replies.KeepGoing):
            return tr.gettext("All right, nothing has changed.")
        return ""

    def _status(self, tr: Translator, report: replies.StatusReport) -> str:
        if not report.registrations:
            return tr.gettext("You have not sent a request yet. Send /start to begin.")
        lines = [f"{ref}: {status_label(status, tr)}" for ref, status in report.registrations]
        return "\n".join([tr.gettext("Your requests:"), *lines])

    def _data(self, tr: Translator, report: replies.DataReport) -> str:
        lines = [
            tr.gettext("This is the data we keep about you:"),
            "",
            tr.gettext("Language: {language}", language=language_name(report.language)),
        ]
        if report.consented_at:
            when = tr.date(report.consented_at.date())
            lines.append(tr.gettext("Consent given on: {date}", date=when))
        if report.references:
            lines.append(
                tr.gettext("Requests: {references}", references=", ".join(report.references))
            )
        lines.extend(["", *answer_lines(self.flow, report.answers, tr)])
        lines.extend(["", tr.gettext("To erase all of it, send /delete.")])
        return "\n".join(lines)

    def _text(self, tr: Translator, text: str, **params: object) -> str:
        return tr.gettext(text, office=self.office, **params)

    def _with_contact(self, tr: Translator, text: str) -> str:
        if not self.contact:
            return text
        return f"{text}\n\n{tr.gettext('Contact: {contact}', contact=self.contact)}"


def _split(message: Outgoing) -> list[Outgoing]:
    """Telegram takes at most 4096 characters a message: longer ones go in several, cut
    between lines, the buttons on the last."""
    if message.edit or message.markup_only or len(message.text) <= MESSAGE_LIMIT:
        return [message]
    chunks: list[str] = []
    for line in message.text.split("\n"):
        while len(line) > MESSAGE_LIMIT:  # a single line too long for one message
            chunks.append(line[:MESSAGE_LIMIT])
            line = line[MESSAGE_LIMIT:]
        if chunks and len(chunks[-1]) + 1 + len(line) <= MESSAGE_LIMIT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    pieces = [Outgoing(chunk.strip("\n")) for chunk in chunks[:-1]]
    return [*pieces, Outgoing(chunks[-1].strip("\n"), message.markup)]


def _rows(buttons: list[InlineKeyboardButton], per_row: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _buttons(pairs: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])
