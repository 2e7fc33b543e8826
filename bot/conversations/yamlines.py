"""YAML loading that remembers the line of every mapping and of every key."""

from __future__ import annotations

from typing import IO, Any

import yaml


class LineDict(dict[str, Any]):
    """A mapping from YAML, with `line` (its own) and `lines` (each key's), 1-based."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[str(key)] = loader.construct_object(value_node, deep=True)
        mapping.lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(stream: IO[str] | IO[bytes] | str) -> Any:
    """Parse one YAML document; mappings come back as LineDict."""
    return yaml.load(stream, Loader=_Loader)
