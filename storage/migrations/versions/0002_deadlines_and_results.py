"""Deadlines and results: a branch's reopen deadline, the named result, last year's level.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reopened_until", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("final_stars", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("final_total", storage.types.ExactDecimal(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("named_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_year_stars", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.drop_column("last_year_stars")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_column("named_at")
        batch_op.drop_column("final_total")
        batch_op.drop_column("final_stars")
        batch_op.drop_column("reopened_until")
