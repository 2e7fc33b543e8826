"""Every user-visible string is translated: in code, flows and templates."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import ROOT

LOCALES = ROOT / "locales"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def source_messages() -> set[str]:
    """Extract message ids as `pybabel extract -F babel.cfg` does."""
    with (ROOT / "babel.cfg").open() as fh:
        from babel.messages.frontend import parse_mapping_cfg

        method_map, options_map = parse_mapping_cfg(fh)
    found = extract_from_dir(
        ROOT, method_map, options_map, keywords={"N_": None, "_": None, "gettext": None}
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str) and message}


def catalog(language: str) -> dict[str, object]:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return {m.id: m for m in read_po(fh) if m.id}


def test_extraction_finds_code_and_flow_messages() -> None:
    messages = source_messages()
    assert "Please check the year of this date." in messages  # bot/chat/render.py
    assert "What is your nationality?" in messages  # conversations/intake.yaml
    assert "Keep the current answer" in messages  # bot/engine


def test_french_catalog_is_complete() -> None:
    french = catalog("fr")
    missing = sorted(source_messages() - set(french))
    assert missing == [], f"run pybabel extract/update and translate: {missing}"
    untranslated = [m.id for m in french.values() if not m.string or m.fuzzy]  # type: ignore[attr-defined]
    assert untranslated == []


def test_french_placeholders_match_their_message_ids() -> None:
    mismatched = [
        (m.id, m.string)  # type: ignore[attr-defined]
        for m in catalog("fr").values()
        if set(PLACEHOLDER.findall(m.id)) != set(PLACEHOLDER.findall(m.string))  # type: ignore[attr-defined]
    ]
    assert mismatched == []


def test_catalogs_hold_no_stale_messages() -> None:
    stale = sorted(set(catalog("fr")) - source_messages())
    assert stale == [], "remove obsolete messages with pybabel update --ignore-obsolete"
