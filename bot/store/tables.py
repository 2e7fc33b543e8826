"""The schema's tables, as the Core statements of the queries name them."""

from __future__ import annotations

from bot.store.models import (
    AnswerVersion,
    Appointment,
    AuditEvent,
    Base,
    CaseLink,
    CaseMember,
    CaseMessage,
    CaseNote,
    ChecklistEntry,
    Flag,
    Followup,
    InboxUpdate,
    IntakeSession,
    MessageTemplate,
    OutboxMessage,
    OutreachSource,
    Person,
    PreRegistration,
    Reconfirmation,
    ReferenceCounter,
    TravelPlan,
)

_tables = Base.metadata.tables
people = _tables[Person.__tablename__]
sessions = _tables[IntakeSession.__tablename__]
pre_registrations = _tables[PreRegistration.__tablename__]  # the cases
flags = _tables[Flag.__tablename__]
counters = _tables[ReferenceCounter.__tablename__]
audit_events = _tables[AuditEvent.__tablename__]
answer_versions = _tables[AnswerVersion.__tablename__]
case_notes = _tables[CaseNote.__tablename__]
case_messages = _tables[CaseMessage.__tablename__]
case_links = _tables[CaseLink.__tablename__]
followups = _tables[Followup.__tablename__]
inbox = _tables[InboxUpdate.__tablename__]
outbox = _tables[OutboxMessage.__tablename__]
outreach_sources = _tables[OutreachSource.__tablename__]
appointments = _tables[Appointment.__tablename__]
travel_plans = _tables[TravelPlan.__tablename__]
reconfirmations = _tables[Reconfirmation.__tablename__]
case_checklist = _tables[ChecklistEntry.__tablename__]
case_members = _tables[CaseMember.__tablename__]
message_templates = _tables[MessageTemplate.__tablename__]
