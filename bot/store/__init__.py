"""Persistence: SQLAlchemy models, one-transaction units, and migrations."""

from bot.store.models import AuditEvent, Flag, IntakeSession, Person, PreRegistration
from bot.store.repository import (
    PersonRecord,
    RegistrationRecord,
    SessionRecord,
    StaleSession,
    Store,
    Submission,
    Unit,
)

__all__ = [
    "AuditEvent",
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
