"""Persistence: SQLAlchemy models, one-transaction units, and migrations."""

from bot.store.models import AuditEvent, Flag, IntakeSession, Person, PreRegistration
from bot.store.repository import (
    NAME_KEY_LENGTH,
    Conflict,
    PersonRecord,
    RegistrationRecord,
    SessionRecord,
    StaleSession,
    Store,
    Submission,
    Unit,
)

__all__ = [
    "NAME_KEY_LENGTH",
    "AuditEvent",
    "Conflict",
    "Flag",
    "IntakeSession",
    "Person",
    "PersonRecord",
    "PreRegistration",
    "RegistrationRecord",
    "SessionRecord",
    "StaleSession",
    "Store",
    "Submission",
    "Unit",
]
