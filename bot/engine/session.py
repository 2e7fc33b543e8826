"""The state of one conversation: serialisable, so the caller can persist it anywhere."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """A session that shares nothing with `data` (which may belong to an ORM row)."""
        return cls(**copy.deepcopy(data))

    @property
    def active(self) -> bool:
        return self.status == ACTIVE
