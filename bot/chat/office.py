"""The office's facts that the person is told (from the settings), in their language."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.i18n import Translator

# A text the operator wrote: one for every language (translated when the catalog knows
# it), or one per language code.
Localized = str | Mapping[str, str]


def localized(tr: Translator, text: Localized) -> str:
    """`text` in the translator's language: its own version, else English, else any."""
    if isinstance(text, str):
        return tr.gettext(text) if text else ""
    found = text.get(tr.language) or text.get("en")
    return found if found is not None else next(iter(text.values()), "")


@dataclass(frozen=True)
class Recipient:
    """Who receives data besides the staff, and for what."""

    who: Localized
    why: Localized


@dataclass(frozen=True)
class Contact:
    """Who to call, on which number, when."""

    name: Localized
    phone: str
    hours: Localized = ""


@dataclass(frozen=True)
class Office:
    """What the consent, the confirmation and the check-ins say about the office."""

    name: str
    contact: str = ""
    address: str = ""
    hours: Localized = ""
    retention_days: int = 365
    abandoned_days: int = 30
    recipients: tuple[Recipient, ...] = ()
    return_contacts: Mapping[str, Contact] = field(default_factory=dict)

    def contact_in(self, country: str | None) -> Contact | None:
        """The contact for a country of return; None when it has none (the office's own
        contact stands in)."""
        return self.return_contacts.get(country.upper()) if country else None

    def visit(self, tr: Translator) -> str:
        """Where and when to find the office, as one sentence; empty when neither is set."""
        hours = localized(tr, self.hours)
        if self.address and hours:
            return tr.gettext(
                "Address: {address}. Opening hours: {hours}.", address=self.address, hours=hours
            )
        if self.address:
            return tr.gettext("Address: {address}.", address=self.address)
        if hours:
            return tr.gettext("Opening hours: {hours}.", hours=hours)
        return ""

    def consent_facts(self, tr: Translator) -> dict[str, object]:
        """The consent's placeholders, in the translator's language."""
        names = [localized(tr, r.who) for r in self.recipients]
        lines = [
            tr.gettext(
                "• {who}: {why}.", who=_capital(localized(tr, r.who)), why=localized(tr, r.why)
            )
            for r in self.recipients
        ]
        return {
            "office": self.name,
            "recipient_names": ", ".join(names),
            "recipient_list": "\n".join(lines),
            "retention_days": self.retention_days,
            "abandoned_days": self.abandoned_days,
            "visit": self.visit(tr),
        }

    def consent_text(self, tr: Translator, text: str) -> str:
        """A consent text translated, with these facts; a fact left unset leaves no blank."""
        filled = tr.gettext(text, **self.consent_facts(tr))
        return re.sub(r"[ \t]+(?=\n|$)", "", filled)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
