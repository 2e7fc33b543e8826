"""The words of reintegration: the kinds of plan and the categories of a grant's items.

One list each, for the case page's forms, the export and the reports alike.
"""

from __future__ import annotations

from bot.engine.flow import N_

PLAN_KINDS: dict[str, str] = {
    "business": N_("Start a business"),
    "family_business": N_("Join a family business"),
    "training": N_("Training"),
    "job": N_("Job"),
    "housing": N_("Housing"),
    "other": N_("Other"),
}
GRANT_CATEGORIES: dict[str, str] = {
    "equipment": N_("Equipment"),
    "stock": N_("Stock"),
    "tools": N_("Tools"),
    "livestock": N_("Livestock"),
    "training": N_("Training"),
    "rent": N_("Rent"),
    "transport": N_("Transport"),
    "other": N_("Other"),
}
