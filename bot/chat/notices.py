"""What each of the intake service's notices says, and the buttons it offers.

One `case` per notice type, ending in `assert_never`: a notice added to `bot.replies`
without its words here fails mypy.
"""

from __future__ import annotations

from typing import assert_never

from telegram import ReplyKeyboardRemove

from bot import departures
from bot.answers import answer_lines, status_label, status_next_step
from bot.chat import callbacks
from bot.chat.office import Office, localized
from bot.chat.outgoing import Outgoing, buttons
from bot.engine import Flow, Kind, Step
from bot.engine.flow import N_
from bot.i18n import Catalogs, Translator, language_name
from bot.replies import (
    AlreadySubmitted,
    Apology,
    Cancelled,
    CheckinDone,
    CheckinReminder,
    ConfirmCancel,
    ConfirmDelete,
    ConsentDetails,
    Corrected,
    DataReport,
    DepartureAnswered,
    DepartureCheck,
    DepartureOutdated,
    EditIgnored,
    Erased,
    FollowupsStopped,
    Help,
    HumanRequested,
    HumanWithoutRequest,
    IntakeReminder,
    KeepGoing,
    KeptForStaff,
    LanguageChanged,
    LanguageMenu,
    MessagePassed,
    NothingOpen,
    NothingStored,
    Notice,
    ResumeOffer,
    StaffLinked,
    StaffLinkRefused,
    StatusReport,
    Submitted,
    TooLong,
)

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


class Notices:
    """The notices' texts, for one office and one flow."""

    def __init__(self, catalogs: Catalogs, flow: Flow, office: Office) -> None:
        self.catalogs = catalogs
        self.flow = flow
        self.facts = office
        self.office = office.name
        self.contact = office.contact

    def commands(self, language: str) -> list[tuple[str, str]]:
        """The command menu: (command, description) in `language`."""
        tr = self.catalogs.translator(language)
        return [(name, tr.gettext(text)) for name, text in COMMANDS]

    def render(self, tr: Translator, item: Notice) -> Outgoing:
        """The message for one notice."""
        match item:
            case Submitted(reference=reference):
                return Outgoing(self._submitted(tr, reference))
            case AlreadySubmitted(reference=reference, status=status):
                return Outgoing(
                    tr.gettext(
                        "You have already sent a request: {reference} ({status}). "
                        "Use /status to follow it, /mydata to see your data, or /delete to "
                        "erase it.",
                        reference=reference,
                        status=status_label(status, tr),
                    )
                )
            case ResumeOffer():
                text = tr.gettext(
                    "You have a request in progress. Continue where you left off, or start again?"
                )
                return Outgoing(
                    text,
                    buttons(
                        [
                            (tr.gettext("Continue"), callbacks.command("resume", "continue")),
                            (tr.gettext("Start again"), callbacks.command("resume", "restart")),
                        ]
                    ),
                )
            case LanguageMenu():
                menu = [
                    (language_name(c), callbacks.command("lang", c))
                    for c in self.catalogs.languages
                ]
                return Outgoing(tr.gettext("Choose your language."), buttons(menu))
            case ConfirmCancel(checkin=checkin):
                text = (
                    tr.gettext(
                        "Stop answering these questions? Your answers to them will not be kept. "
                        "Your request is not affected."
                    )
                    if checkin
                    else tr.gettext("Stop this request? Your answers will not be kept.")
                )
                return Outgoing(
                    text,
                    buttons(
                        [
                            (tr.gettext("Yes, stop"), callbacks.command("cancel", "yes")),
                            (tr.gettext("No, continue"), callbacks.command("cancel", "no")),
                        ]
                    ),
                )
            case Cancelled(checkin=checkin):
                text = (
                    tr.gettext(
                        "Understood: these questions are closed. Your request is not affected. "
                        "To receive no more messages after your return, send /stop."
                    )
                    if checkin
                    else tr.gettext(
                        "Your request has been stopped and your answers erased. "
                        "Send /start if you want to begin again."
                    )
                )
                return Outgoing(text, ReplyKeyboardRemove())
            case NothingOpen():
                return Outgoing(
                    tr.gettext("You have no request in progress. Send /start to begin.")
                )
            case ConfirmDelete():
                text = tr.gettext(
                    "Erase all your data? Any request you sent will be withdrawn. "
                    "This cannot be undone."
                )
                return Outgoing(
                    text,
                    buttons(
                        [
                            (
                                tr.gettext("Yes, erase everything"),
                                callbacks.command("delete", "yes"),
                            ),
                            (tr.gettext("No, keep my data"), callbacks.command("delete", "no")),
                        ]
                    ),
                )
            case Erased():
                text = tr.gettext(
                    "All your data has been erased. You can send /start at any time if you "
                    "need help."
                )
                return Outgoing(text, ReplyKeyboardRemove())
            case NothingStored():
                return Outgoing(tr.gettext("We keep no data about you."))
            case StatusReport():
                return Outgoing(self._status(tr, item))
            case DataReport():
                return Outgoing(self._data(tr, item))
            case EditIgnored():
                return Outgoing(
                    tr.gettext(
                        "Changes to a message already sent are not read. To correct an answer, "
                        "use the summary at the end of the questions: every answer can be "
                        "changed there."
                    )
                )
            case Help():
                button = (tr.gettext("🙋 Talk to a person"), callbacks.command("human", "yes"))
                return Outgoing(self._help(tr), buttons([button]))
            case TooLong():
                return Outgoing(
                    tr.gettext("Your message is too long. Please send a shorter answer.")
                )
            case LanguageChanged():
                return Outgoing(tr.gettext("From now on, I will write to you in this language."))
            case CheckinDone(urgent=True, country=country):
                return Outgoing(
                    tr.gettext(
                        "Thank you for your answers. A staff member will call you soon about "
                        "the problem you told us about. If you are in danger now, contact "
                        "{contact}",
                        contact=self._help_in(tr, country),
                    )
                )
            case CheckinDone(country=country):
                return Outgoing(
                    tr.gettext(
                        "Thank you for your answers. They help us support you. "
                        "You can stop these messages at any time with /stop. "
                        "If you need help, contact {contact}",
                        contact=self._help_in(tr, country),
                    )
                )
            case ConsentDetails(asked=asked):
                consent = asked.step if asked else self._consent_step()
                return Outgoing(self.facts.consent_text(tr, consent.notice or consent.prompt))
            case CheckinReminder():
                return Outgoing(
                    tr.gettext(
                        "A reminder: {office} would like to know how you are since your "
                        "return. Your answers help us support you. To stop these messages, "
                        "send /stop.",
                        office=self.office,
                    )
                )
            case FollowupsStopped():
                return Outgoing(
                    tr.gettext(
                        "Understood: we will not send you messages after your return. "
                        "Your request itself is not affected."
                    )
                )
            case MessagePassed(reference=reference, closed=True):
                return Outgoing(self._kept_on_closed(tr, reference))
            case MessagePassed(reference=reference):
                return Outgoing(
                    tr.gettext(
                        "Thank you. Your message has been passed to the staff handling your "
                        "request {reference}.",
                        reference=reference,
                    )
                )
            case KeptForStaff(reference=reference):
                return Outgoing(
                    tr.gettext(
                        "This is not an answer to the question, so I passed it as a message "
                        "to the staff handling your request {reference}.",
                        reference=reference,
                    )
                )
            case Corrected(reference=reference):
                return Outgoing(
                    tr.gettext(
                        "Thank you. Your answers have been updated. Your reference stays "
                        "{reference}.",
                        reference=reference,
                    )
                )
            case HumanRequested():
                return Outgoing(
                    tr.gettext(
                        "We have noted that you want to talk to a person. "
                        "A staff member will contact you as soon as possible."
                    )
                )
            case HumanWithoutRequest():
                return Outgoing(
                    tr.gettext(
                        "To talk to a person, contact {office}, or send /start to make a "
                        "request: staff will then call you back.",
                        office=self.office,
                    )
                )
            case KeepGoing():
                return Outgoing(tr.gettext("All right, nothing has changed."))
            case StaffLinked(username=username):
                return Outgoing(
                    tr.gettext(
                        "This chat now receives the duty notifications and the daily digest "
                        "of the dashboard account {username}. Unlink it from the dashboard's "
                        "Telegram notifications page.",
                        username=username,
                    )
                )
            case StaffLinkRefused():
                return Outgoing(
                    tr.gettext(
                        "This code is wrong, already used or expired: nothing was linked. "
                        "Show a new code on the dashboard's Telegram notifications page."
                    )
                )
            case IntakeReminder(days=days):
                return Outgoing(
                    tr.gettext(
                        "You started a request for help to return home and did not finish it. "
                        "Send /start to continue where you left off. If you do nothing, your "
                        "answers will be erased after {days} days.",
                        days=days,
                    )
                )
            case Apology():
                return Outgoing(
                    tr.gettext(
                        "Sorry, something went wrong on our side. Your earlier answers are kept. "
                        "Please send your answer again in a moment."
                    )
                )
            case DepartureCheck():
                return self._departure_check(tr, item)
            case DepartureAnswered(answer="travelling"):
                return Outgoing(
                    tr.gettext(
                        "Thank you for confirming. Please be at the airport three hours before "
                        "the flight, with your travel document. Have a safe journey."
                    )
                )
            case DepartureAnswered(answer="changed_mind"):
                return Outgoing(
                    tr.gettext(
                        "Thank you for telling us. Nobody will make you travel. Your "
                        "caseworker has been told and will contact you to talk about it."
                    )
                )
            case DepartureAnswered():
                return Outgoing(
                    tr.gettext(
                        "We have noted that you want to talk to someone. A staff member will "
                        "contact you before your flight."
                    )
                )
            case DepartureOutdated():
                return Outgoing(
                    tr.gettext(
                        "This question is no longer open: nothing has changed. To talk to "
                        "staff, send /human."
                    )
                )
            case _:
                assert_never(item)

    def _departure_check(self, tr: Translator, item: DepartureCheck) -> Outgoing:
        """The question before the flight, with its three answers as buttons."""
        text = tr.gettext(
            "Your flight home (request {reference}) leaves on {date} at {time}. Are you still "
            "travelling? You may change your mind: nobody will blame you.",
            reference=item.reference,
            date=tr.date(item.day),
            time=item.at,
        )
        row = item.reconfirmation
        choices = [
            (
                tr.gettext(departures.LABELS[answer]),
                callbacks.command(departures.ACTION, f"{code}_{row}"),
            )
            for code, answer in departures.CODES.items()
        ]
        return Outgoing(text, buttons(choices))

    def _kept_on_closed(self, tr: Translator, reference: str) -> str:
        parts = [
            tr.gettext(
                "Your request {reference} is closed. Your message is kept with it, but staff "
                "may not read it soon. If you need {office}, contact the office directly.",
                reference=reference,
                office=self.office,
            )
        ]
        if visit := self.facts.visit(tr):
            parts.append(visit)
        if self.contact:
            parts.append(tr.gettext("Contact: {contact}", contact=self.contact))
        return "\n\n".join(parts)

    def _help(self, tr: Translator) -> str:
        lines = [f"/{name} — {text}" for name, text in self.commands(tr.language)]
        intro = tr.gettext(
            "This assistant helps you ask {office} for help to return home. "
            "Answer the questions with the buttons, or by typing. Commands:",
            office=self.office,
        )
        return "\n".join([intro, "", *lines])

    def _status(self, tr: Translator, report: StatusReport) -> str:
        if not report.cases:
            return tr.gettext("You have not sent a request yet. Send /start to begin.")
        lines = [
            f"{ref} — {status_next_step(status, tr, self.office)}" for ref, status in report.cases
        ]
        return "\n".join([tr.gettext("Your requests:"), *lines])

    def _submitted(self, tr: Translator, reference: str) -> str:
        """The confirmation: the reference, what happens next, and what the person may count
        on (free of charge, free to change their mind, where to find the office)."""
        parts = [
            tr.gettext("Thank you. Your request has been sent."),
            tr.gettext(
                "Your reference number is {reference}. Keep it: staff will ask for it.",
                reference=reference,
            ),
            tr.gettext(
                "What happens next: a caseworker will study your request and call you on the "
                "number you gave. Staff may also write to you here, in this chat. This can "
                "take several weeks."
            ),
            tr.gettext(
                "This help is free. Nobody may ask you for money for it. If someone does, "
                "tell {office}.",
                office=self.office,
            ),
            tr.gettext(
                "You may change your mind at any time, even after your request is accepted: "
                "just tell staff."
            ),
        ]
        if visit := self.facts.visit(tr):
            come = tr.gettext("You can also come and see us.")  # not in an f-string: Babel
            parts.append(f"{come} {visit}")  # would not extract it there
        elif self.contact:
            parts.append(tr.gettext("Contact: {contact}", contact=self.contact))
        parts.append(
            tr.gettext(
                "You can follow your request with /status, see your data with /mydata, and "
                "erase it with /delete."
            )
        )
        return "\n\n".join(parts)

    def _help_in(self, tr: Translator, country: str | None) -> str:
        """Who helps in the country of return; the office itself where it has no one."""
        contact = self.facts.contact_in(country)
        if contact is not None:
            name, phone = localized(tr, contact.name), contact.phone
            hours = localized(tr, contact.hours)
        else:
            name, phone, hours = self.office, self.contact, localized(tr, self.facts.hours)
        if not phone:
            return f"{name}."
        if hours:
            return tr.gettext("{office}: {phone} ({hours}).", office=name, phone=phone, hours=hours)
        return tr.gettext("{office}: {phone}.", office=name, phone=phone)

    def _consent_step(self) -> Step:
        return next(s for s in self.flow.steps if s.kind is Kind.CONSENT)

    def _data(self, tr: Translator, report: DataReport) -> str:
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
