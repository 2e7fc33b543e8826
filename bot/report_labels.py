"""How the reports name their rows, in the reader's language: months, countries, the
intake's options, statuses, flags, steps, check-ins, plan types and grant categories."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from bot.answers import flag_label, status_label
from bot.engine import Flow
from bot.engine.flow import N_
from bot.grant_terms import GRANT_CATEGORIES, PLAN_KINDS
from bot.i18n import Translator
from bot.status import Status

NOT_KNOWN = N_("Not known")
STEP_LABELS = {
    "requested": N_("Requested"),
    "accepted": N_("Accepted"),
    "departed": N_("Departed"),
    "returned": N_("Returned"),
    "month_3": N_("Reached at 3 months"),
    "month_6": N_("Reached at 6 months"),
    "month_12": N_("Reached at 12 months"),
}
DIMENSION_LABELS = {
    "economic": N_("Economic"),
    "social": N_("Social"),
    "psychosocial": N_("Psychosocial"),
    "composite": N_("Composite"),
}


class Labels:
    """Row labels of the reports in one language."""

    def __init__(self, tr: Translator, flow: Flow, sources: dict[int, str]) -> None:
        self.tr = tr
        self.flow = flow
        self.sources = sources

    def _unknown(self) -> str:
        return self.tr.gettext(NOT_KNOWN)

    def month(self, key: object) -> str:
        if not isinstance(key, str) or len(key) != 7:
            return self._unknown()
        first = date(int(key[:4]), int(key[5:7]), 1)
        return str(format_date(first, "MMM y", locale=self.tr.language))

    def country(self, key: object) -> str:
        return self.tr.country(str(key)) if key else self._unknown()

    def _options(self, step_id: str) -> list[tuple[str, str]]:
        try:
            step = self.flow.step(step_id)
        except KeyError:
            return []
        return [(option.value, option.label) for option in step.options]

    def _option(self, step_id: str, key: object) -> str:
        if key is None:
            return self._unknown()
        found = dict(self._options(step_id)).get(str(key))
        return self.tr.gettext(found) if found else str(key)

    def sexes(self) -> list[object]:
        return [value for value, _label in self._options("sex")]

    def sex(self, key: object) -> str:
        return self._option("sex", key)

    def cities(self) -> list[object]:
        return [value for value, _label in self._options("current_city")]

    def city(self, key: object) -> str:
        return self._option("current_city", key)

    def band(self, key: object) -> str:
        return str(key) if key else self._unknown()

    def statuses(self) -> list[object]:
        return [str(s) for s in Status if s is not Status.DUPLICATE]

    def status(self, key: object) -> str:
        return status_label(str(key), self.tr)

    def flag(self, key: object) -> str:
        return flag_label(str(key), self.tr)

    def source(self, key: object) -> str:
        if key is None:
            return self.tr.gettext("No outreach source")
        return self.sources.get(int(str(key)), str(key))

    def step(self, key: object) -> str:
        found = STEP_LABELS.get(str(key))
        return self.tr.gettext(found) if found else str(key)

    def transition(self, source: str, target: str) -> str:
        return f"{self.step(source)} \u2192 {self.step(target)}"

    def dimension(self, key: str) -> str:
        return self.tr.gettext(DIMENSION_LABELS[key])

    def plan(self, key: object) -> str:
        found = PLAN_KINDS.get(str(key)) if key else NOT_KNOWN
        return self.tr.gettext(found) if found else str(key)

    def category(self, key: object) -> str:
        found = GRANT_CATEGORIES.get(str(key))
        return self.tr.gettext(found) if found else str(key)

    def checkin(self, key: str) -> str:
        unit, _, number = key.partition("_")
        if number.isdigit() and unit == "month":
            return self.tr.gettext("Check-in at month {n}", n=int(number))
        if number.isdigit() and unit == "day":
            return self.tr.gettext("Check-in at day {n}", n=int(number))
        return key

    @staticmethod
    def checkin_order(key: str) -> tuple[int, str]:
        unit, _, number = key.partition("_")
        days = int(number) * (30 if unit == "month" else 1) if number.isdigit() else 10**6
        return (days, key)

    def scored(self, key: object) -> str:
        if isinstance(key, tuple):
            return f"{key[0]} \u00b7 {self.checkin(str(key[1]))}"
        return self.checkin(str(key))
