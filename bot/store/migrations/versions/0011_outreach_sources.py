"""outreach sources

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.models import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SOURCE_KEYS = (("sessions", False), ("pre_registrations", True))


def upgrade() -> None:
    op.create_table(
        "outreach_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("declined", sa.Integer(), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_sources")),
        sa.UniqueConstraint("code", name=op.f("uq_outreach_sources_code")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, indexed in _SOURCE_KEYS:
        key = f"fk_{table}_source_id_outreach_sources"
        # Not a batch operation: rebuilding `sessions` on SQLite would risk its partial
        # index, and `pre_registrations` is the largest table.
        if sqlite:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN source_id INTEGER CONSTRAINT {key} "
                "REFERENCES outreach_sources (id) ON DELETE SET NULL"
            )
        else:
            op.add_column(table, sa.Column("source_id", sa.Integer()))
            op.create_foreign_key(
                op.f(key), table, "outreach_sources", ["source_id"], ["id"], ondelete="SET NULL"
            )
        if indexed:
            op.create_index(op.f(f"ix_{table}_source_id"), table, ["source_id"])


def downgrade() -> None:
    for table, indexed in _SOURCE_KEYS:
        with op.batch_alter_table(table) as batch_op:
            if indexed:
                batch_op.drop_index(op.f(f"ix_{table}_source_id"))
            batch_op.drop_column("source_id")
    op.drop_table("outreach_sources")
