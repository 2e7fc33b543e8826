"""travel preparation and the departure's reconfirmation

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "travel_plans",
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.String(length=32), nullable=True),
        sa.Column("document_requested_on", sa.Date(), nullable=True),
        sa.Column("document_received_on", sa.Date(), nullable=True),
        sa.Column("consulate", sa.String(length=100), nullable=True),
        sa.Column("flight_date", sa.Date(), nullable=True),
        sa.Column("flight_time", sa.Time(), nullable=True),
        sa.Column("carrier", sa.String(length=60), nullable=True),
        sa.Column("flight_number", sa.String(length=10), nullable=True),
        sa.Column("airport", sa.String(length=60), nullable=True),
        sa.Column("escort_needed", sa.Boolean(), nullable=False),
        sa.Column("escort", sa.String(length=100), nullable=True),
        sa.Column("departed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_travel_plans_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pre_registration_id", name=op.f("pk_travel_plans")),
    )
    op.create_table(
        "reconfirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("flight_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_reconfirmations_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconfirmations")),
    )
    op.create_index(
        "ix_reconfirmations_status_due", "reconfirmations", ["status", "due_at"], unique=False
    )
    op.create_index(
        op.f("ix_reconfirmations_pre_registration_id"),
        "reconfirmations",
        ["pre_registration_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reconfirmations_pre_registration_id"), table_name="reconfirmations")
    op.drop_index("ix_reconfirmations_status_due", table_name="reconfirmations")
    op.drop_table("reconfirmations")
    op.drop_table("travel_plans")
