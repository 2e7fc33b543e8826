"""Dashboard roles: the ones the store accepts, each with a label in French."""

from __future__ import annotations

from bot.config import ROOT
from bot.i18n import Catalogs
from bot.roles import LABELS, ROLES, Role

FRENCH = Catalogs(ROOT / "locales").translator("fr")


def test_there_are_exactly_these_roles() -> None:
    assert {"caseworker", "supervisor", "monitoring"} == ROLES


def test_every_role_reads_in_french() -> None:
    assert [FRENCH.gettext(LABELS[role]) for role in Role] == [
        "Chargé·e de dossier",
        "Superviseur·e",
        "Suivi (lecture seule)",
    ]
