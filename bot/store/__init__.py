"""Persistence: SQLAlchemy models, one-transaction units, and the queries by subject.

Each query module holds plain functions that take the unit first:
`await cases.submit(unit, person, submission, prefix, now)`.
"""

# Registered on the models' metadata, for the queries and the migrations.
from bot.store import reintegration_models, statistics_models  # noqa: F401
from bot.store.cases import NAME_KEY_LENGTH, CaseRecord, Submission
from bot.store.database import DatabaseUnavailable
from bot.store.models import AuditEvent, Flag, IntakeSession, Person, PreRegistration
from bot.store.people import PersonRecord
from bot.store.sessions import SessionRecord
from bot.store.unit import Conflict, StaleSession, Store, Unit

__all__ = [
    "NAME_KEY_LENGTH",
    "AuditEvent",
    "CaseRecord",
    "Conflict",
    "DatabaseUnavailable",
    "Flag",
    "IntakeSession",
    "Person",
    "PersonRecord",
    "PreRegistration",
    "SessionRecord",
    "StaleSession",
    "Store",
    "Submission",
    "Unit",
]
