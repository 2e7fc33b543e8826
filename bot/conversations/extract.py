"""A Babel extractor for conversations/*.yaml: every prompt, label and goodbye text."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from bot.conversations.yamlines import LineDict, load

TEXT_KEYS = frozenset({"prompt", "label", "item_label", "end", "notice"})


def extract_yaml(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Yield (line, function, message, comments) as Babel expects of an extractor."""
    yield from _walk(load(fileobj))


def _walk(node: Any) -> Iterator[tuple[int, str | None, str, list[str]]]:
    if isinstance(node, LineDict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str):
                yield node.lines[key], None, value, []
            else:
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)
