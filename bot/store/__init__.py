"""Persistence: SQLAlchemy models, one-transaction units, and migrations."""

from bot.store.database import create_engine, sqlite_url, upgrade
from bot.store.models import AuditEvent, Flag, IntakeSession, Person, PreRegistration
from bot.store.repository import Store, Submission, Unit

__all__ = [
    "AuditEvent",
    "Flag",
    "IntakeSession",
    "Person",
    "PreRegistration",
    "Store",
    "Submission",
    "Unit",
    "create_engine",
    "sqlite_url",
    "upgrade",
]
