"""The state of one conversation: serialisable, so the caller can persist it anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

ACTIVE = "active"
COMPLETED = "completed"
ENDED = "ended"


@dataclass
class Session:
    flow_id: str
    status: str = ACTIVE
    answers: dict[str, Any] = field(default_factory=dict)
    revision: int = 0
    key: str | None = None
    pending: dict[str, Any] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    editing: dict[str, Any] | None = None
    answered_at: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None
    misses: int = 0  # answers refused in a row at the current question

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy that shares nothing with the session."""
        return {name: clone(getattr(self, name)) for name in _FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """A session over `data`, which it takes over: the caller must not use it again."""
        return cls(**{name: data[name] for name in _FIELDS if name in data})

    def fields(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict that shares its values with the session."""
        return {name: getattr(self, name) for name in _FIELDS}

    def copy(self) -> Session:
        """A copy that shares nothing with this session."""
        return Session.from_dict(self.to_dict())

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


def clone(value: Any) -> Any:
    """A copy of JSON-shaped data (dicts, lists, scalars); faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


_FIELDS = tuple(f.name for f in fields(Session))
