"""Pricing a grant's item: its form as typed, checked, and its amount in USD cents, exact.

The unit cost is in the vendor's currency (an ISO 4217 code), with the USD worth of one
unit of it recorded on the item; quantity x unit cost x rate is computed with Decimal and
rounded half up to the cent, so every total is the same on every database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bot.engine.flow import N_
from bot.grant_terms import GRANT_CATEGORIES
from bot.i18n import Translator
from bot.store.grants import Costing

TEXT_LIMIT = 200
# The currencies offered first; any ISO 4217 code is accepted.
CURRENCIES = ("USD", "EUR", "MAD", "XOF", "XAF", "GNF", "CDF", "NGN")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CENT = Decimal("0.01")


class GrantRefused(Exception):
    """A plan or an item refused; `reason` is a translatable text, `field` the form field
    at fault, `amounts` (cents) its parameters."""

    def __init__(self, reason: str, field: str = "", **amounts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.amounts = amounts

    def text(self, tr: Translator) -> str:
        return tr.gettext(self.reason, **{k: tr.money(v) for k, v in self.amounts.items()})


@dataclass(frozen=True)
class ItemForm:
    """An item as typed: the unit cost in `currency`, and USD for one unit of it."""

    description: str = ""
    category: str = ""
    vendor: str = ""
    quantity: str = ""
    unit_cost: str = ""
    currency: str = ""
    usd_rate: str = ""


def usd_cents(quantity: int, unit_cost_cents: int, rate: Decimal) -> int:
    """quantity x unit cost x rate, in USD cents, exactly, rounded half up."""
    exact = Decimal(quantity) * Decimal(unit_cost_cents) * rate
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def costing(form: ItemForm) -> Costing:
    """The item's values, or GrantRefused with the first thing wrong."""
    description = " ".join(form.description.split())
    if not description or len(description) > TEXT_LIMIT:
        raise GrantRefused(N_("Describe the item in 1 to 200 characters."), "description")
    if form.category not in GRANT_CATEGORIES:
        raise GrantRefused(N_("Choose the item's category from the list."), "category")
    vendor = " ".join(form.vendor.split())
    if len(vendor) > TEXT_LIMIT:
        raise GrantRefused(N_("The vendor's name is too long: at most 200 characters."), "vendor")
    quantity = form.quantity.strip()
    if not quantity.isdigit() or not 1 <= int(quantity) <= 10_000:
        raise GrantRefused(N_("Give the quantity as a whole number from 1 to 10000."), "quantity")
    cost = _decimal(form.unit_cost)
    if cost is None or cost <= 0 or cost > 10_000_000 or cost != cost.quantize(_CENT):
        reason = N_("Give the unit cost as an amount above zero, for example 1250.50.")
        raise GrantRefused(reason, "unit_cost")
    currency = form.currency.strip().upper()
    if not _CURRENCY.match(currency):
        reason = N_("Give the currency as its three-letter ISO code, for example MAD or XOF.")
        raise GrantRefused(reason, "currency")
    rate = (
        Decimal(1) if currency == "USD" and not form.usd_rate.strip() else _decimal(form.usd_rate)
    )
    if rate is None or rate <= 0 or rate > 100_000 or rate != round(rate, 12):
        reason = N_("Give the rate as the US dollars one unit of the currency is worth, "
                    "for example 0.1 for MAD.")  # fmt: skip
        raise GrantRefused(reason, "usd_rate")
    if currency == "USD" and rate != 1:
        raise GrantRefused(N_("One US dollar is worth 1 US dollar: give the rate 1."), "usd_rate")
    cents = int(cost * 100)
    return Costing(
        description=description,
        category=form.category,
        vendor=vendor,
        quantity=int(quantity),
        unit_cost_cents=cents,
        currency=currency,
        usd_rate=format(rate.normalize(), "f"),
        amount_usd_cents=usd_cents(int(quantity), cents, rate),
    )


def _decimal(value: str) -> Decimal | None:
    """A typed amount ("1 250,50" or "1250.50"), or None."""
    text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text or len(text) > 24:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_date(value: str) -> date | None:
    """A date as a date field sends it; GrantRefused for anything else."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or not date(2000, 1, 1) <= parsed < date(2200, 1, 1):
        raise GrantRefused(N_("Write dates as a calendar does, for example 2026-12-24."))
    return parsed
