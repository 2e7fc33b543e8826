"""The layers of bot/ and what each may import, read from every module's imports.

A module belongs to the layer that names it, or names its package: bot/web/anything.py is
in "web". Top-level modules are named one by one, so a new one fails here until it is
placed. Arrows go down: the engine imports nothing of the project, the store nothing
above the engine, and only the composition root imports everything.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import ROOT

PACKAGE = ROOT / "bot"
STDLIB = sys.stdlib_module_names | {"__future__"}


@dataclass(frozen=True)
class Layer:
    modules: tuple[str, ...]  # modules, or packages with everything under them
    may_import: tuple[str, ...] = ()  # other layers
    third_party: tuple[str, ...] = ()  # top-level names of installed packages


LAYERS = {
    "root": Layer(("bot",)),  # bot/__init__.py: the package itself
    "engine": Layer(("bot.engine",)),
    # Babel: whether a language offered is one it can name, date and list countries for.
    "config": Layer(("bot.config",), third_party=("pydantic", "pydantic_settings", "babel")),
    "logs": Layer(("bot.logs",)),
    "i18n": Layer(("bot.i18n", "bot.translations"), third_party=("babel",)),
    "phones": Layer(("bot.phones",), third_party=("phonenumbers",)),
    # The engine's N_ marks the refusals of a weak password for translation.
    "passwords": Layer(("bot.passwords",), ("engine",), ("argon2",)),
    "conversations": Layer(("bot.conversations",), ("engine", "domain"), ("yaml",)),
    "store": Layer(("bot.store",), ("engine", "domain"), ("sqlalchemy", "alembic")),
    # Domain words shared by every layer above the engine: statuses, flags, roles.
    # The counselling checklist's items and whether a case's is complete: data and rules.
    "domain": Layer(
        ("bot.status", "bot.flags", "bot.roles", "bot.checklist", "bot.grant_terms"), ("engine",)
    ),
    # Answers, statuses and flags as people read them; the words people type for buttons.
    "answers": Layer(("bot.answers", "bot.vocabulary"), ("engine", "domain", "i18n")),
    # The use-cases: one person's input in one transaction, the replies, the casework.
    "service": Layer(
        (
            "bot.intake",
            "bot.commands",
            "bot.service",
            "bot.replies",
            "bot.casework",
            "bot.accounts",
            "bot.appointments",
            "bot.duty",
            "bot.caseload",
            "bot.decisions",
            "bot.projects",
            "bot.counselling",
            "bot.message_templates",
            "bot.bulk",
            "bot.followups.service",
            "bot.travel",
            "bot.departures",
            "bot.reintegration",
            "bot.pricing",
        ),
        ("engine", "domain", "store", "i18n", "planning", "passwords"),
        ("anyio",),
    ),
    # The reports: anonymous figures, suppressed and labelled in the reader's language.
    "reports": Layer(
        ("bot.reports", "bot.report_labels", "bot.report_cells"),
        ("engine", "domain", "store", "i18n", "answers"),
        ("babel",),
    ),
    # The in-process Bot API and its simulated phones: offline runs, the simulator, tests.
    "offline": Layer(
        (
            "bot.chat.transport",
            "bot.chat.phone",
            "bot.chat.simulator",
            "bot.chat.terminal",
            "bot.chat.local_api",
        ),
        (),
        ("telegram",),
    ),
    # Handlers translate updates into service calls: the store is the service's business.
    "chat": Layer(("bot.chat",), ("engine", "service", "answers", "i18n"), ("telegram",)),
    # Delivery guarantees: updates stored before they are confirmed, replies before they
    # are sent; PTB's application is handed what was stored.
    "delivery": Layer(("bot.delivery",), ("service", "store", "chat"), ("telegram",)),
    # When check-ins are due is pure: the engine's check-in definitions and the clock.
    "planning": Layer(
        ("bot.followups.planning", "bot.followups.zones", "bot.office_hours"),
        ("engine",),
        ("babel",),
    ),
    "followups": Layer(
        ("bot.followups",),
        ("engine", "domain", "store", "service", "chat", "planning"),
    ),
    "retention": Layer(("bot.retention",), ("store", "service", "chat")),
    "backups": Layer(("bot.backups",), ("store",)),
    "web": Layer(
        ("bot.web",),
        (
            "engine",
            "domain",
            "store",
            "service",
            "reports",
            "answers",
            "i18n",
            "planning",
            "offline",
            "passwords",
        ),
        ("starlette", "openpyxl", "anyio", "segno", "pygal"),
    ),
    "app": Layer(("bot.app", "bot.lifecycle"), ("*",), ("telegram", "starlette", "uvicorn")),
    "cli": Layer(
        ("bot.cli", "bot.cli_db"),
        (
            "app",
            "config",
            "domain",
            "store",
            "conversations",
            "i18n",
            "logs",
            "offline",
            "passwords",
        ),
    ),
}

# Code that breaks the layering for now, one line each with its reason, to be removed when
# the break is mended: (module prefix, imported module prefix): why. None today.
TEMPORARY: dict[tuple[str, str], str] = {}


def layer_of(module: str) -> str | None:
    """The layer naming `module` or its nearest package, if any."""
    best: tuple[int, str] | None = None
    for name, layer in LAYERS.items():
        for prefix in layer.modules:
            covers = module == prefix or (prefix != "bot" and module.startswith(prefix + "."))
            if covers and (best is None or len(prefix) > best[0]):
                best = (len(prefix), name)
    return best[1] if best else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str) -> set[str]:
    """Every module `source` imports; `from bot import intake` counts as bot.intake."""
    found: set[str] = set()
    package = module if module == "bot" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package up
                parents = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parents, base] if base else parents)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if _exists(submodule) else base)
    return found


def _exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations(module: str, imported: set[str]) -> list[str]:
    """What `module` may not import, by the table; a module in no layer is one too."""
    own = layer_of(module)
    if own is None:
        return [f"{module} is in no layer: add it to LAYERS"]
    layer, found = LAYERS[own], []
    for name in sorted(imported):
        top = name.split(".")[0]
        if top in STDLIB or _temporary(module, name):
            continue
        if top != "bot":
            if top not in layer.third_party:
                found.append(f"{module} ({own}) imports {name}, a package {own} may not use")
            continue
        target = layer_of(name)
        if target in (own, "root") or "*" in layer.may_import or target in layer.may_import:
            continue
        found.append(f"{module} ({own}) imports {name} ({target}): {own} may not import it")
    return found


def _temporary(module: str, name: str) -> bool:
    return any(
        (module == m or module.startswith(m + ".")) and (name == i or name.startswith(i + "."))
        for m, i in TEMPORARY
    )


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_imports_only_what_its_layer_may() -> None:
    found = modules()
    assert len(found) > 30 and "bot.engine.runner" in found
    problems = [
        problem
        for module, path in found.items()
        for problem in violations(module, imports(path.read_text(encoding="utf-8"), module))
    ]
    assert problems == []


def test_every_temporary_exception_is_still_needed() -> None:
    """An exception the code no longer needs is removed, so it cannot hide a new one."""
    used = {
        (m, i)
        for module, path in modules().items()
        for name in imports(path.read_text(encoding="utf-8"), module)
        for m, i in TEMPORARY
        if (module == m or module.startswith(m + ".")) and (name == i or name.startswith(i + "."))
    }
    assert set(TEMPORARY) - used == set()


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "bot.engine.runner",
            "import json\nfrom bot.store import Store\n",
            ["bot.engine.runner (engine) imports bot.store (store): engine may not import it"],
        ),
        (
            "bot.engine.flow",
            "import telegram\n",
            ["bot.engine.flow (engine) imports telegram, a package engine may not use"],
        ),
        (
            "bot.store.cases",
            "from bot import intake\n",
            ["bot.store.cases (store) imports bot.intake (service): store may not import it"],
        ),
        (
            "bot.web.anything_new",
            "from bot.chat.handlers import on_text\n",
            ["bot.web.anything_new (web) imports bot.chat.handlers (chat): web may not import it"],
        ),
        ("bot.newcomer", "import json\n", ["bot.newcomer is in no layer: add it to LAYERS"]),
        ("bot.web.anything_new", "from bot.store import cases\nimport starlette\n", []),
        ("bot.app", "from bot.web import app\nfrom bot.chat import handlers\n", []),
    ],
)
def test_a_lower_layer_importing_a_higher_one_is_caught(
    module: str, source: str, expected: list[str]
) -> None:
    assert violations(module, imports(source, module)) == expected
