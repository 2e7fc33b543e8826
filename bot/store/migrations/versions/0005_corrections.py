"""corrections

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "answer_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pre_registration_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.JSON(), nullable=False),
        sa.Column("replaced_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pre_registration_id"],
            ["pre_registrations.id"],
            name=op.f("fk_answer_versions_pre_registration_id_pre_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_versions")),
    )
    with op.batch_alter_table("answer_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_versions_pre_registration_id"),
            ["pre_registration_id"],
            unique=False,
        )

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pre_registration_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sessions_pre_registration_id_pre_registrations"),
            "pre_registrations",
            ["pre_registration_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sessions_pre_registration_id_pre_registrations"), type_="foreignkey"
        )
        batch_op.drop_column("pre_registration_id")

    with op.batch_alter_table("answer_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_versions_pre_registration_id"))

    op.drop_table("answer_versions")
