"""Conversation sessions: the engine's state of one person's open conversation, versioned.

The bot's hot path uses SQLAlchemy Core on a connection rather than the ORM session: an
update is one read and one write, and the ORM's bookkeeping would cost more than both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update

from bot.engine.session import ACTIVE
from bot.store import tables
from bot.store.models import equals_constant
from bot.store.people import PersonRecord
from bot.store.unit import StaleSession, Unit

_people, _sessions = tables.people, tables.sessions

# The statements run on every update, built once: building one costs more than running it.
_PERSON_COLUMNS = ("id", "telegram_id", "language", "consent_version", "consented_at")
_SESSION_COLUMNS = (
    "id", "person_id", "flow", "status", "step", "state", "version", "pre_registration_id",
    "followup_id", "source_id",
)  # fmt: skip
_PERSON_AND_SESSION = (
    select(
        *(_people.c[name] for name in _PERSON_COLUMNS),
        *(_sessions.c[name] for name in _SESSION_COLUMNS),
    )
    .select_from(
        _people.outerjoin(
            _sessions,
            (_sessions.c.person_id == _people.c.id) & equals_constant(_sessions.c.status, ACTIVE),
        )
    )
    .where(_people.c.telegram_id == bindparam("telegram_id"))
    .order_by(_sessions.c.id.desc())
    .limit(1)
)
_SAVE_SESSION = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("session_id"))
    .where(_sessions.c.version == bindparam("read_version"))
    .values(
        {
            name: bindparam(name)
            for name in ("state", "status", "step", "revision", "version", "updated_at")
        }
    )
)
_ADD_SESSION = insert(_sessions).values(
    pre_registration_id=bindparam("case_id"),
    followup_id=bindparam("followup"),
    source_id=bindparam("source"),
    person_id=bindparam("person"),
    flow=bindparam("flow_id"),
    status=bindparam("status_"),
    step=bindparam("step_"),
    revision=bindparam("revision_"),
    state=bindparam("state_", type_=_sessions.c.state.type),
    version=1,
    created_at=bindparam("now", type_=_sessions.c.created_at.type),
    updated_at=bindparam("now", type_=_sessions.c.updated_at.type),
)
_BUSY = select(_sessions.c.id).where(
    _sessions.c.person_id == bindparam("person"),
    equals_constant(_sessions.c.status, ACTIVE),
    or_(_sessions.c.followup_id.is_(None), _sessions.c.followup_id != bindparam("row")),
)


@dataclass(frozen=True)
class SessionRecord:
    id: int
    person_id: int
    flow: str
    status: str
    step: str | None
    state: dict[str, Any]
    version: int
    pre_registration_id: int | None = None
    followup_id: int | None = None  # a check-in after return
    source_id: int | None = None  # the outreach link the person came by


async def person_and_session(
    unit: Unit, telegram_id: int
) -> tuple[PersonRecord | None, SessionRecord | None]:
    """A person and their open session, in one query."""
    result = await unit.connection.execute(_PERSON_AND_SESSION, {"telegram_id": telegram_id})
    row = result.first()
    if row is None:
        return None, None
    split = len(_PERSON_COLUMNS)
    person = PersonRecord(*row[:split])
    return person, SessionRecord(*row[split:]) if row[split] is not None else None


async def add(
    unit: Unit,
    person_id: int,
    flow: str,
    state: dict[str, Any],
    now: datetime,
    case_id: int | None = None,
    followup_id: int | None = None,
    source_id: int | None = None,
) -> None:
    """Open a conversation at the engine's first state."""
    await unit.connection.execute(
        _ADD_SESSION,
        {
            "case_id": case_id,
            "followup": followup_id,
            "source": source_id,
            "person": person_id,
            "flow_id": flow,
            "status_": state["status"],
            "step_": state["key"],
            "revision_": state["revision"],
            "state_": state,
            "now": now,
        },
    )


async def save(unit: Unit, row: SessionRecord, state: dict[str, Any], now: datetime) -> None:
    """Write the new state if nobody else has since `row` was read; else StaleSession."""
    result = await unit.connection.execute(
        _SAVE_SESSION,
        {
            "session_id": row.id,
            "read_version": row.version,
            "state": state,
            "status": state["status"],
            "step": state["key"],
            "revision": state["revision"],
            "version": row.version + 1,
            "updated_at": now,
        },
    )
    if result.rowcount != 1:
        raise StaleSession(row.id)


async def end(unit: Unit, row: SessionRecord) -> None:
    """End a conversation, if nobody changed it since `row` was read; else StaleSession."""
    result = await unit.connection.execute(
        delete(_sessions).where(_sessions.c.id == row.id, _sessions.c.version == row.version)
    )
    if result.rowcount != 1:
        raise StaleSession(row.id)


async def busy_elsewhere(unit: Unit, person_id: int, followup_id: int) -> bool:
    """Is the person in the middle of another conversation with the bot?"""
    result = await unit.connection.execute(_BUSY, {"person": person_id, "row": followup_id})
    return result.first() is not None


async def of_checkin(unit: Unit, followup_id: int) -> Any:
    """The conversation of a check-in (id, state, version), if it is still open."""
    result = await unit.connection.execute(
        select(_sessions.c.id, _sessions.c.state, _sessions.c.version).where(
            _sessions.c.followup_id == followup_id
        )
    )
    return result.first()


async def end_checkins(
    unit: Unit, *, followup_id: int | None = None, person_id: int | None = None
) -> None:
    """Close the open check-in conversation(s) of a row or a person."""
    query = delete(_sessions).where(_sessions.c.followup_id.is_not(None))
    if followup_id is not None:
        query = query.where(_sessions.c.followup_id == followup_id)
    if person_id is not None:
        query = query.where(_sessions.c.person_id == person_id)
    await unit.connection.execute(query)
