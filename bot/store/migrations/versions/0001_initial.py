"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("consent_version", sa.String(length=32), nullable=True),
        sa.Column("consented_at", bot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_people_telegram_id")),
    )
    op.create_table(
        "reference_counters",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "pre_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("flow_version", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.JSON(), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=True),
        sa.Column("name_key", sa.String(length=100), nullable=True),
        sa.Column("date_of_birth", sa.String(length=10), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("nationality", sa.String(length=2), nullable=True),
        sa.Column("current_city", sa.String(length=60), nullable=True),
        sa.Column("created_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_pre_registrations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pre_registrations")),
        sa.UniqueConstraint("reference", name=op.f("uq_pre_registrations_reference")),
    )
    with op.batch_alter_table("pre_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pre_registrations_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_pre_registrations_name_dob", ["name_key", "date_of_birth"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pre_registrations_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pre_registrations_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_pre_registrations_status"), ["status"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=80), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_sessions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_person_status", ["person_id", "status"], unique=False)
        batch_op.create_index(
            "uq_sessions_one_active",
            ["person_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("pre_registration_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_audit_events_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_audit_events_pre_registration_id_pre_registrations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_pre_registration_id"), ["pre_registration_id"], unique=False
        )

    op.create_table(
        "pre_registration_flags",
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_pre_registration_flags_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "pre_registration_id", "flag", name=op.f("pk_pre_registration_flags")
        ),
    )
    with op.batch_alter_table("pre_registration_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pre_registration_flags_flag"), ["flag"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("pre_registration_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pre_registration_flags_flag"))

    op.drop_table("pre_registration_flags")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_pre_registration_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_person_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))

    op.drop_table("audit_events")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sessions_one_active",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index("ix_sessions_person_status")

    op.drop_table("sessions")
    with op.batch_alter_table("pre_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pre_registrations_status"))
        batch_op.drop_index(batch_op.f("ix_pre_registrations_phone"))
        batch_op.drop_index(batch_op.f("ix_pre_registrations_person_id"))
        batch_op.drop_index("ix_pre_registrations_name_dob")
        batch_op.drop_index(batch_op.f("ix_pre_registrations_created_at"))

    op.drop_table("pre_registrations")
    op.drop_table("reference_counters")
    op.drop_table("people")
