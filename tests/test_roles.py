"""Dashboard roles: the ones the store accepts, each with a label in French."""

from __future__ import annotations

from bot.config import ROOT
from bot.i18n import Catalogs
from bot.roles import LABELS, ROLES, Role
from bot.store import accounts

FRENCH = Catalogs(ROOT / "locales").translator("fr")


def test_the_store_accepts_exactly_these_roles() -> None:
    assert set(accounts.ROLES) == ROLES == {"caseworker", "supervisor"}


def test_every_role_reads_in_french() -> None:
    assert [FRENCH.gettext(LABELS[role]) for role in Role] == [
        "Chargé·e de dossier",
        "Superviseur·e",
    ]
