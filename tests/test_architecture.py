"""The engine stays pure: standard library only."""

from __future__ import annotations

import ast
import sys

from bot.config import ROOT

ENGINE = ROOT / "bot" / "engine"


def foreign_imports(source: str) -> set[str]:
    """Modules imported by `source` that are neither standard library nor bot.engine."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    allowed = sys.stdlib_module_names | {"__future__"}
    return {n for n in names if n.split(".")[0] not in allowed and not n.startswith("bot.engine")}


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
