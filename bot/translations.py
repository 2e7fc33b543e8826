"""How complete each language's catalog is: the report of `intake-bot translations`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import SOURCE_LANGUAGE

TEMPLATE = "messages.pot"


@dataclass(frozen=True)
class Coverage:
    """One language: how many messages there are, and which are not translated."""

    language: str
    total: int
    untranslated: tuple[str, ...]

    @property
    def translated(self) -> int:
        return self.total - len(self.untranslated)

    @property
    def percent(self) -> int:
        """Rounded down, so that 100 means every message."""
        return 100 if not self.total else 100 * self.translated // self.total

    @property
    def complete(self) -> bool:
        return not self.untranslated


def coverage(locales_dir: Path, languages: Iterable[str]) -> list[Coverage]:
    """Each language's share of the template's messages (each catalog's own messages when
    there is no template); a fuzzy or empty entry is untranslated."""
    template = locales_dir / TEMPLATE
    wanted = _message_ids(_read(template)) if template.is_file() else None
    found = []
    for language in languages:
        po = locales_dir / language / "LC_MESSAGES" / "messages.po"
        catalog = _read(po) if po.is_file() else Catalog(locale=None)
        ids = wanted if wanted is not None else _message_ids(catalog)
        if language == SOURCE_LANGUAGE:  # the messages are written in it
            found.append(Coverage(language, len(ids), ()))
            continue
        done = {
            _message_id(m.id) for m in catalog if m.id and _translated(m.string) and not m.fuzzy
        }
        found.append(Coverage(language, len(ids), tuple(sorted(ids - done))))
    return found


def report(coverages: Iterable[Coverage]) -> str:
    """One line per language, then its untranslated message ids, indented."""
    lines = []
    for item in coverages:
        counts = f"{item.translated} of {item.total} messages"
        if item.language == SOURCE_LANGUAGE:
            counts += ", the language they are written in"
        lines.append(f"{item.language}: {item.percent}% translated ({counts})")
        if item.untranslated:
            lines.append(f"  {len(item.untranslated)} untranslated:")
            lines.extend(f"    {_one_line(message)}" for message in item.untranslated)
    return "\n".join(lines)


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _message_ids(catalog: Catalog) -> set[str]:
    return {_message_id(m.id) for m in catalog if m.id}


def _message_id(message_id: str | Sequence[str]) -> str:
    """A plural entry is named by its singular."""
    return message_id if isinstance(message_id, str) else message_id[0]


def _translated(string: str | Sequence[str] | None) -> bool:
    """Every form of a plural entry counts."""
    if string is None or isinstance(string, str):
        return bool(string)
    return all(string)


def _one_line(message: str) -> str:
    """A multi-line message id as one line, its line breaks shown as \\n."""
    return message.replace("\n", "\\n")
