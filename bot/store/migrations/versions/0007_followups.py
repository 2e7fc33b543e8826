"""followups

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("checkin", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("planned_for", UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_followups_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    op.create_index(op.f("ix_followups_pre_registration_id"), "followups", ["pre_registration_id"])
    op.create_index("ix_followups_status_due", "followups", ["status", "due_at"])
    op.create_index(
        "ix_followups_sending",
        "followups",
        ["claimed_until"],
        sqlite_where=sa.text("status = 'sending'"),
        postgresql_where=sa.text("status = 'sending'"),
    )
    op.add_column("people", sa.Column("unreachable_at", UTCDateTime(timezone=True)))
    op.add_column("pre_registrations", sa.Column("time_zone", sa.String(length=64)))
    op.add_column("pre_registrations", sa.Column("status_changed_at", UTCDateTime(timezone=True)))
    op.execute("UPDATE pre_registrations SET status_changed_at = updated_at")
    op.add_column("sessions", sa.Column("reminded_at", UTCDateTime(timezone=True)))
    op.create_index(op.f("ix_sessions_updated_at"), "sessions", ["updated_at"])
    # Not a batch operation: rebuilding `sessions` on SQLite would risk its partial index.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE sessions ADD COLUMN followup_id INTEGER "
            "CONSTRAINT fk_sessions_followup_id_followups "
            "REFERENCES followups (id) ON DELETE CASCADE"
        )
    else:
        op.add_column("sessions", sa.Column("followup_id", sa.Integer()))
        op.create_foreign_key(
            op.f("fk_sessions_followup_id_followups"),
            "sessions",
            "followups",
            ["followup_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.drop_index(op.f("ix_sessions_updated_at"))
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("followup_id")
    with op.batch_alter_table("pre_registrations") as batch_op:
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("time_zone")
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("unreachable_at")
    op.drop_index("ix_followups_sending", table_name="followups")
    op.drop_index("ix_followups_status_due", table_name="followups")
    op.drop_index(op.f("ix_followups_pre_registration_id"), table_name="followups")
    op.drop_table("followups")
