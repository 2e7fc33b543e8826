"""Tables. Times are stored in UTC; answers and engine state as JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
    literal_column,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def equals_constant(column: ColumnElement[str], value: str) -> ColumnElement[bool]:
    """`column = 'value'` with the program's own constant written into the SQL.

    SQLite plans a statement again on every run when a bound value could decide whether a
    partial index applies (`status = ?` against `... WHERE status = 'active'`), which costs
    more than running it. Written in, the plan is made once.
    """
    if not value.isidentifier():
        raise ValueError(f"not a plain constant: {value!r}")
    return column == literal_column(f"'{value}'")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime}  # noqa: RUF012


class Person(Base):
    """Someone who wrote to the bot. Deleting a person deletes everything about them."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(8))
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consented_at: Mapped[datetime | None]
    # Telegram refused a message (the person blocked the bot): nothing more is sent.
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OutreachSource(Base):
    """A partner's link to the bot (`t.me/<bot>?start=<code>`), on a poster or a leaflet.

    Its counters are all that is kept of the people who came by it and did not send a
    request: how many began, how many declined the consent, how many sent one.
    """

    __tablename__ = "outreach_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(32), unique=True)  # random: not guessable
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    started: Mapped[int] = mapped_column(Integer, default=0)
    declined: Mapped[int] = mapped_column(Integer, default=0)
    submitted: Mapped[int] = mapped_column(Integer, default=0)


class IntakeSession(Base):
    """One conversation's engine state. `version` guards against two concurrent writers:
    a write names the version it read (bot.store.sessions.save)."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(80))
    revision: Mapped[int] = mapped_column(Integer)
    state: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer)
    # Set when the session corrects answers of a sent request ("needs info").
    pre_registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE")
    )
    # Set when the session is a check-in after return.
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("followups.id", ondelete="CASCADE"))
    reminded_at: Mapped[datetime | None]  # an unfinished intake was reminded once
    # The outreach link the person came by (/start <code>): kept on the case at submission.
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("outreach_sources.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)
    __table_args__ = (
        Index("ix_sessions_person_status", "person_id", "status"),
        # At most one open conversation per person, even with several processes.
        Index(
            "uq_sessions_one_active",
            "person_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )


class PreRegistration(Base):
    """A completed intake. A few answers are copied into columns for search and duplicates."""

    __tablename__ = "pre_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    language: Mapped[str] = mapped_column(String(8))
    flow_version: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]]
    answered_at: Mapped[dict[str, Any]]
    full_name: Mapped[str | None] = mapped_column(String(100))
    name_key: Mapped[str | None] = mapped_column(String(100))  # NAME_KEY_LENGTH
    date_of_birth: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    nationality: Mapped[str | None] = mapped_column(String(2), index=True)
    current_city: Mapped[str | None] = mapped_column(String(60), index=True)
    return_date: Mapped[date | None]
    time_zone: Mapped[str | None] = mapped_column(String(64))  # for check-ins, if not the capital's
    status_changed_at: Mapped[datetime | None]
    source_id: Mapped[int | None] = mapped_column(  # the outreach link the person came by
        ForeignKey("outreach_sources.id", ondelete="SET NULL"), index=True
    )
    # The caseworker who owns the case; None: nobody yet.
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    # Why a request was not accepted (a code of conversations/checklist.yaml's reasons).
    refusal_reason: Mapped[str | None] = mapped_column(String(32))
    # The case this one was closed as a duplicate of; a closed duplicate counts for nothing.
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="SET NULL"), index=True
    )
    # The funded project the case was accepted into (bot/store/reintegration_models.py).
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    # When the case joined its project's waiting list: the list's order.
    waitlisted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_pre_registrations_name_dob", "name_key", "date_of_birth"),
        # A caseworker's cases by status, oldest first: the inbox and the workload table.
        Index("ix_pre_registrations_assigned_to_status", "assigned_to", "status", "created_at"),
        # Everyone's new requests, oldest first: the inbox of all cases.
        Index("ix_pre_registrations_status_created_at", "status", "created_at"),
    )


class Followup(Base):
    """One check-in after return. `due_at` is when the dispatcher next acts on it: the
    first message, a reminder, a retry, or giving up. `claimed_until` is a dispatcher's
    lease on the row; a dispatcher that dies lets it lapse."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), index=True
    )
    checkin: Mapped[str] = mapped_column(String(32))
    # planned -> sending -> sent -> answered | no_reply; or failed, cancelled
    status: Mapped[str] = mapped_column(String(16))
    planned_for: Mapped[datetime]
    due_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    answers: Mapped[dict[str, Any]]
    flags: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(32))  # why failed or cancelled
    # An answered check-in's scores, 0 to 1 (bot/scoring.py); None where it measures none.
    score_economic: Mapped[float | None] = mapped_column(Float)
    score_social: Mapped[float | None] = mapped_column(Float)
    score_psychosocial: Mapped[float | None] = mapped_column(Float)
    score_composite: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_followups_status_due", "status", "due_at"),
        # The few rows being sent, for `recover`, however the planner rates `status`.
        Index(
            "ix_followups_sending",
            "claimed_until",
            sqlite_where=text("status = 'sending'"),
            postgresql_where=text("status = 'sending'"),
        ),
    )


class Flag(Base):
    __tablename__ = "pre_registration_flags"

    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), primary_key=True
    )
    flag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    # A red flag a caseworker has seen to: still shown, no longer in the inbox.
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_note: Mapped[str | None] = mapped_column(Text)


class ReferenceCounter(Base):
    """The last number handed out per prefix and year: AVR-2026-00042."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class AuditEvent(Base):
    """Who did what, when. `details` never holds personal data: ids, counts, statuses."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    pre_registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[dict[str, Any]]


class Account(Base):
    """A caseworker's or supervisor's own login to the dashboard."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Set by a supervisor's temporary password: nothing but changing it until it is changed.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())


class SignIn(Base):
    """A browser signed in to the dashboard. Its cookie holds a random token; the table only
    the token's hash, so signing out, or an administrator deactivating the account, ends
    that access even for a copy of the cookie."""

    __tablename__ = "sign_ins"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInFailure(Base):
    """A dashboard sign-in attempt, failed or being checked, under a keyed hash of the
    username and address together, of the address, or of the username; kept only as long
    as the throttling window."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)  # for sweeping

    __table_args__ = (Index("ix_sign_in_failures_key_at", "key", "at"),)


class CaseNote(Base):
    """A caseworker's note on a case (a status change's reason, or a plain note)."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CaseMessage(Base):
    """A message between the office and the person, through the bot."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(8))  # "out" to the person, "in" from them
    author: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    delivered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]  # a message from the person, opened by its caseworker
    __table_args__ = (
        Index(
            "ix_case_messages_unread",
            "pre_registration_id",
            "created_at",
            sqlite_where=text("direction = 'in' AND read_at IS NULL"),
            postgresql_where=text("direction = 'in' AND read_at IS NULL"),
        ),
    )


class AnswerVersion(Base):
    """A request's answers as they were before a correction: the history stays."""

    __tablename__ = "answer_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), index=True
    )
    answers: Mapped[dict[str, Any]]
    answered_at: Mapped[dict[str, Any]]
    replaced_at: Mapped[datetime]


class CaseLink(Base):
    """Two cases a caseworker found to be the same person."""

    __tablename__ = "case_links"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), primary_key=True
    )
    linked_by: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[datetime]


class InboxUpdate(Base):
    """A Telegram update, kept from the moment it arrives until it is handled.

    Telegram is told an update arrived (the next getUpdates' offset, or the webhook's 200)
    only once it is here, so a crash cannot lose it. A handled update keeps only its id and
    chat, against the same update arriving twice, and goes after a day.
    """

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)  # one chat's updates go in order
    payload: Mapped[dict[str, Any] | None]  # the update as Telegram sent it, until handled
    received_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the process handling it
    claimed_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None] = mapped_column(index=True)
    __table_args__ = (Index("ix_inbox_chat_id_update_id", "chat_id", "update_id"),)


class OutboxMessage(Base):
    """A message a person must see: kept in the transaction that decided it, deleted once
    Telegram took it. A crash between the two sends it again, never zero times."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # set: an edit of this message
    text: Mapped[str | None] = mapped_column(Text)  # None: an edit of the buttons only
    markup: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the process sending it
    claimed_until: Mapped[datetime | None]
    __table_args__ = (Index("ix_outbox_chat_id_id", "chat_id", "id"),)


class Appointment(Base):
    """An interview or counselling appointment at the office, booked by a caseworker.

    `revision` changes with every move: the person's buttons carry it, so a tap on an older
    message changes nothing. `remind_at` is when the reminder the day before is due;
    `reminded_at` says it was dealt with (sent, or too late to send), once."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # interview, counselling
    starts_at: Mapped[datetime] = mapped_column(index=True)
    # booked -> confirmed | cannot_come -> more_asked; came, no_show, rescheduled at the end
    status: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer)
    proposals: Mapped[list[str]] = mapped_column(JSON)  # the slots offered, ISO UTC times
    remind_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None]
    booked_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StaffChat(Base):
    """A dashboard account's private Telegram chat with the bot, where its duty
    notifications and daily digest arrive. `digest_on` is the office day of the last
    digest: set in the transaction that queues it, so a day has one digest."""

    __tablename__ = "staff_chats"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    linked_at: Mapped[datetime]
    digest_on: Mapped[date | None]


class StaffLinkCode(Base):
    """A one-time code that links the chat it is sent from to an account: only its hash
    is kept, it goes once used, and it is worthless after `expires_at`."""

    __tablename__ = "staff_link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime]


class PasswordReset(Base):
    """A one-time link a supervisor made for an account to choose a new password. Only the
    token's hash is kept: a copy of the table opens nothing."""

    __tablename__ = "password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class TravelPlan(Base):
    """A case's journey home: the travel document, the flight, an escort, the departure.

    The flight's date and time are the office's local ones, as the ticket says."""

    __tablename__ = "travel_plans"

    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), primary_key=True
    )
    document_type: Mapped[str | None] = mapped_column(String(32))
    document_requested_on: Mapped[date | None]
    document_received_on: Mapped[date | None]
    consulate: Mapped[str | None] = mapped_column(String(100))
    flight_date: Mapped[date | None]
    flight_time: Mapped[time | None] = mapped_column(Time())
    carrier: Mapped[str | None] = mapped_column(String(60))
    flight_number: Mapped[str | None] = mapped_column(String(10))
    airport: Mapped[str | None] = mapped_column(String(60))
    escort_needed: Mapped[bool] = mapped_column(default=False)
    escort: Mapped[str | None] = mapped_column(String(100))  # who, or which organisation
    departed_at: Mapped[datetime | None]
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class Reconfirmation(Base):
    """The question, shortly before a flight, whether the person is still travelling.

    `due_at` is when the sweep next acts on it: the question, then (unanswered) the
    caseworker's alert. A new flight time cancels the open one and plans another, so a tap
    on an earlier question's buttons names a row that no longer waits for an answer."""

    __tablename__ = "reconfirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), index=True
    )
    flight_at: Mapped[datetime]  # the departure it asks about
    # planned -> sent -> answered | no_answer (-> answered, late); or cancelled
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_reconfirmations_status_due", "status", "due_at"),)


class ChecklistEntry(Base):
    """What was recorded for one item of a case's counselling checklist."""

    __tablename__ = "case_checklist"

    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[str] = mapped_column(String(32), primary_key=True)  # the item's id in the file
    value: Mapped[str] = mapped_column(Text, default="")  # an option, or text
    done_on: Mapped[date | None]
    done_by: Mapped[str] = mapped_column(String(100), default="")  # who did it in person
    recorded_by: Mapped[str] = mapped_column(String(64))  # the account that wrote it here
    recorded_at: Mapped[datetime]


class CaseMember(Base):
    """A family member travelling with the applicant: one of the people of the case.

    Made from the intake's answers when the request is sent, then kept by caseworkers.
    """

    __tablename__ = "case_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(
        ForeignKey("pre_registrations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # the order of the answers, from 0
    name: Mapped[str] = mapped_column(String(100))
    relationship: Mapped[str | None] = mapped_column(String(32))
    date_of_birth: Mapped[str | None] = mapped_column(String(10))  # as answered: ISO, or a year
    travel_document: Mapped[str | None] = mapped_column(String(32))
    fitness: Mapped[str | None] = mapped_column(String(32))
    vulnerabilities: Mapped[list[str]] = mapped_column(JSON)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class MessageTemplate(Base):
    """One language's text of a message template, once a supervisor wrote or edited it.

    The office's usual templates need no row: their text comes from the catalogs until
    someone changes it.
    """

    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("key", "language"),)
