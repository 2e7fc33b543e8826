"""staff chats: duty notifications and digests in a caseworker's Telegram chat

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_chats",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.Column("digest_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_staff_chats_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_staff_chats")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_staff_chats_chat_id")),
    )
    op.create_table(
        "staff_link_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_staff_link_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_staff_link_codes")),
    )
    op.create_index(op.f("ix_staff_link_codes_account_id"), "staff_link_codes", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_link_codes_account_id"), table_name="staff_link_codes")
    op.drop_table("staff_link_codes")
    op.drop_table("staff_chats")
