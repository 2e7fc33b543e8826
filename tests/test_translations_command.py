"""`intake-bot translations`: each language's share translated, and what is left."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot.cli import main
from bot.config import ROOT
from tests.helpers import add_language, pseudo

# Three of the template's messages, left untranslated in the tests' half-done catalog.
LEFT = (
    "Choose your language.",
    "What is your full name? Write it as on your documents, if you have any.",
    "Yes",
)


@pytest.fixture
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's catalogs, in a folder the settings point to."""
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    monkeypatch.setenv("INTAKE_LOCALES_DIR", str(locales))
    monkeypatch.chdir(tmp_path)  # no .env of the working copy
    return locales


def total_messages(locales: Path) -> int:
    with (locales / "messages.pot").open("rb") as fh:
        return sum(1 for message in read_po(fh) if message.id)


def test_complete_catalogs_are_reported_whole_and_exit_0(
    locales: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["translations"]) == 0
    total = total_messages(locales)
    assert capsys.readouterr().out.splitlines() == [
        f"fr: 100% translated ({total} of {total} messages)",
        f"en: 100% translated ({total} of {total} messages, the language they are written in)",
    ]


def test_untranslated_and_fuzzy_messages_are_listed_and_exit_1(
    locales: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = add_language(
        locales, "eo", lambda message: "" if message in LEFT[:2] else pseudo(message)
    )
    with path.open("rb") as fh:
        catalog = read_po(fh)
    catalog[LEFT[2]].flags.add("fuzzy")  # a guess: not a translation yet
    with path.open("wb") as fh:
        write_po(fh, catalog)
    monkeypatch.setenv("INTAKE_LANGUAGES", "fr,eo")

    assert main(["translations"]) == 1
    total = total_messages(locales)
    percent = 100 * (total - 3) // total
    assert capsys.readouterr().out.splitlines() == [
        f"fr: 100% translated ({total} of {total} messages)",
        f"eo: {percent}% translated ({total - 3} of {total} messages)",
        "  3 untranslated:",
        *(f"    {message}" for message in sorted(LEFT)),
    ]
    assert main(["translations", "fr"]) == 0  # one language, by its code
    capsys.readouterr()


def test_a_message_missing_from_a_catalog_counts_as_untranslated(
    locales: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A catalog not yet updated from a newer template lacks its new messages."""
    path = add_language(locales, "eo")
    with path.open("rb") as fh:
        catalog = read_po(fh)
    catalog.delete("Yes")
    with path.open("wb") as fh:
        write_po(fh, catalog)

    assert main(["translations", "eo"]) == 1
    assert capsys.readouterr().out.splitlines()[1:] == ["  1 untranslated:", "    Yes"]


def test_the_help_says_what_the_exit_status_means(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["translations", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 when every language is complete, 1 otherwise." in help_text
