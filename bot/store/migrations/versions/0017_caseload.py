"""caseload: acknowledged red flags, messages read by the case's caseworker, inbox indexes

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNREAD = sa.text("direction = 'in' AND read_at IS NULL")


def upgrade() -> None:
    # Plain ADD COLUMN on every database: no batch rebuild of the large tables.
    op.add_column(
        "pre_registration_flags", sa.Column("acknowledged_at", UTCDateTime(timezone=True))
    )
    op.add_column("pre_registration_flags", sa.Column("acknowledged_by", sa.String(64)))
    op.add_column("pre_registration_flags", sa.Column("acknowledged_note", sa.Text()))
    op.add_column("case_messages", sa.Column("read_at", UTCDateTime(timezone=True)))
    # The messages received before this version were read on the case page as it was then:
    # none of them lands in the inbox as new.
    op.execute("UPDATE case_messages SET read_at = created_at WHERE direction = 'in'")
    op.create_index(
        "ix_case_messages_unread",
        "case_messages",
        ["pre_registration_id", "created_at"],
        sqlite_where=_UNREAD,
        postgresql_where=_UNREAD,
    )
    op.create_index(
        "ix_pre_registrations_assigned_to_status",
        "pre_registrations",
        ["assigned_to", "status", "created_at"],
    )
    op.create_index(
        "ix_pre_registrations_status_created_at", "pre_registrations", ["status", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_pre_registrations_status_created_at", table_name="pre_registrations")
    op.drop_index("ix_pre_registrations_assigned_to_status", table_name="pre_registrations")
    op.drop_index("ix_case_messages_unread", table_name="case_messages")
    with op.batch_alter_table("case_messages") as batch_op:
        batch_op.drop_column("read_at")
    with op.batch_alter_table("pre_registration_flags") as batch_op:
        batch_op.drop_column("acknowledged_note")
        batch_op.drop_column("acknowledged_by")
        batch_op.drop_column("acknowledged_at")
