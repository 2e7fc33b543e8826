"""The engine stays pure: standard library only."""

from __future__ import annotations

from bot.config import ROOT
from tests.helpers import foreign_imports

ENGINE = ROOT / "bot" / "engine"


def test_engine_imports_only_the_standard_library_and_itself() -> None:
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) >= 5
    outside = {f.name: foreign_imports(f.read_text(encoding="utf-8")) for f in files}
    assert {name: mods for name, mods in outside.items() if mods} == {}


def test_forbidden_imports_are_caught() -> None:
    source = (
        "import telegram\nfrom sqlalchemy import select\nimport json\nfrom bot.store import x\n"
    )
    assert foreign_imports(source) == {"telegram", "sqlalchemy", "bot.store"}
