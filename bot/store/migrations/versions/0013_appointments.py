"""appointments

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("proposals", sa.JSON(), nullable=False),
        sa.Column("remind_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("booked_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_appointments_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    for column in ("pre_registration_id", "starts_at", "remind_at"):
        op.create_index(op.f(f"ix_appointments_{column}"), "appointments", [column])


def downgrade() -> None:
    for column in ("pre_registration_id", "starts_at", "remind_at"):
        op.drop_index(op.f(f"ix_appointments_{column}"), table_name="appointments")
    op.drop_table("appointments")
