"""Reading conversations/checklist.yaml: the counselling checklist and the refusal reasons,
every problem reported as file:line like the flows'."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from bot.checklist import Checklist, Choice, Item, ItemKind, Reason
from bot.conversations.parser import ID, Parser, Problem
from bot.conversations.yamlines import LineDict, load
from bot.flags import BY_NAME

CHECKLIST_FILE = "checklist.yaml"
_TOP_KEYS = {"version", "items", "refusal_reasons"}
_ITEM_KEYS = {"id", "kind", "label", "required", "when", "options"}
_OPTION_KEYS = {"value", "label", "blocks"}
_WHEN_KEYS = {"flags"}
_MAX_ID = 32  # stored in a String(32) column


class ChecklistParser(Parser):
    """Builds the checklist from parsed YAML, collecting every problem with its line."""

    def checklist(self, data: Any) -> Checklist | None:
        if not isinstance(data, LineDict):
            self.fail(1, "a checklist file is a mapping with 'version', 'items' and "
                      "'refusal_reasons'")  # fmt: skip
            return None
        self._unknown_keys(data, _TOP_KEYS, "checklist")
        version = str(data.get("version", ""))
        if not version:
            self.fail(data.line, "missing 'version'")
        items = [self._item(raw) for raw in self._list(data, "items")]
        found = [item for item in items if item is not None]
        self._unique((item.id, item.line) for item in found)
        reasons = [self._reason(raw) for raw in self._list(data, "refusal_reasons")]
        kept = [reason for reason in reasons if reason is not None]
        self._unique((reason.value, line) for reason, line in kept)
        return Checklist(version, tuple(found), tuple(reason for reason, _line in kept))

    def _list(self, data: LineDict, key: str) -> list[Any]:
        raw = data.get(key)
        if not isinstance(raw, list) or not raw:
            self.fail(data.lines.get(key, data.line), f"{key!r} must be a non-empty list")
            return []
        return raw

    def _unique(self, ids: Iterable[tuple[str, int]]) -> None:
        seen: set[str] = set()
        for value, line in ids:
            if value in seen:
                self.fail(line, f"duplicate id {value!r}")
            seen.add(value)

    def _id(self, raw: LineDict, key: str) -> str:
        value = self._string(raw, key, required=True)
        if value and (not ID.match(value) or len(value) > _MAX_ID):
            self.fail(raw.lines.get(key, raw.line),
                      f"{key} {value!r}: lower case letters, digits and _, at most {_MAX_ID}")  # fmt: skip
            return ""
        return value

    def _item(self, raw: Any) -> Item | None:
        if not isinstance(raw, LineDict):
            self.fail(getattr(raw, "line", 1), "each item is a mapping with 'id', 'kind', 'label'")
            return None
        item_id = self._id(raw, "id")
        self._unknown_keys(raw, _ITEM_KEYS, f"item {item_id!r}")
        label = self._string(raw, "label", required=True)
        try:
            kind = ItemKind(str(raw.get("kind")))
        except ValueError:
            kinds = ", ".join(k.value for k in ItemKind)
            self.fail(raw.lines.get("kind", raw.line),
                      f"item {item_id!r}: kind must be one of {kinds}")  # fmt: skip
            return None
        required = raw.get("required", True)
        if not isinstance(required, bool):
            self.fail(raw.lines["required"], f"item {item_id!r}: 'required' is true or false")
            required = True
        options = self._choices(raw, item_id, kind)
        flags = self._when(raw, item_id)
        if not item_id or not label:
            return None
        return Item(item_id, kind, label, required, flags, options, raw.line)

    def _choices(self, raw: LineDict, item_id: str, kind: ItemKind) -> tuple[Choice, ...]:
        given = raw.get("options")
        if kind is not ItemKind.CHOICE:
            if given is not None:
                self.fail(raw.lines["options"], f"item {item_id!r}: only a choice has options")
            return ()
        if not isinstance(given, list) or not given:
            self.fail(raw.lines.get("options", raw.line),
                      f"item {item_id!r}: a choice needs a list of options")  # fmt: skip
            return ()
        options = []
        for option in given:
            if not isinstance(option, LineDict):
                self.fail(raw.lines["options"], "each option is {value, label}")
                continue
            self._unknown_keys(option, _OPTION_KEYS, f"item {item_id!r}, option")
            value = self._id(option, "value")
            label = self._string(option, "label", required=True)
            blocks = option.get("blocks", False)
            if not isinstance(blocks, bool):
                self.fail(option.lines["blocks"], "'blocks' is true or false")
                blocks = False
            if value and label:
                options.append(Choice(value, label, blocks))
        self._unique((o.value, raw.lines["options"]) for o in options)
        return tuple(options)

    def _when(self, raw: LineDict, item_id: str) -> tuple[str, ...]:
        when = raw.get("when")
        if when is None:
            return ()
        line = raw.lines["when"]
        names = when.get("flags") if isinstance(when, LineDict) else None
        if not isinstance(when, LineDict) or not isinstance(names, list) or not names:
            self.fail(line, f"item {item_id!r}: 'when' is {{flags: [a flag, ...]}}")
            return ()
        self._unknown_keys(when, _WHEN_KEYS, f"item {item_id!r}, when")
        for name in names:
            if name not in BY_NAME:
                known = ", ".join(sorted(BY_NAME))
                self.fail(when.lines["flags"],
                          f"item {item_id!r}: unknown flag {name!r} (known: {known})")  # fmt: skip
        return tuple(str(name) for name in names if name in BY_NAME)

    def _reason(self, raw: Any) -> tuple[Reason, int] | None:
        if not isinstance(raw, LineDict):
            self.fail(getattr(raw, "line", 1), "each refusal reason is {value, label}")
            return None
        self._unknown_keys(raw, {"value", "label"}, "refusal reason")
        value = self._id(raw, "value")
        label = self._string(raw, "label", required=True)
        return (Reason(value, label), raw.line) if value and label else None


class ChecklistError(Exception):
    """A checklist file that cannot be used; str() lists every problem as file:line."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(f"{path}:{p.line}: {p.message}" for p in self.problems))


def parse_checklist(data: Any, path: str = "<checklist>") -> Checklist:
    parser = ChecklistParser()
    checklist = parser.checklist(data)
    if parser.problems or checklist is None:
        raise ChecklistError(path, parser.problems or [Problem(1, "empty checklist file")])
    return checklist


def load_checklist(path: Path) -> Checklist:
    """Read and check the checklist file."""
    with path.open(encoding="utf-8") as fh:
        return parse_checklist(load(fh), str(path))


def checklist_texts(checklist: Checklist) -> Iterator[tuple[str, int]]:
    """Every translatable text of the checklist, with its line."""
    for item in checklist.items:
        yield item.label, item.line
        for option in item.options:
            yield option.label, item.line
    for reason in checklist.reasons:
        yield reason.label, 0


def check_checklist(path: Path, catalogs: Mapping[str, Iterable[str]]) -> list[str]:
    """Every problem of the checklist file, translations included (ChecklistError raised)."""
    checklist = load_checklist(path)
    problems = []
    for language, ids in catalogs.items():
        known = set(ids)
        for text, line in checklist_texts(checklist):
            if text not in known:
                where = f"{path}:{line}" if line else str(path)
                problems.append(f"{where}: no {language} translation for {text!r}")
    return problems
