"""The town's review: reviewed levels, the committee's decisions, each officer's open branch.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("total", storage.types.ExactDecimal(length=40), nullable=True),
        sa.Column("stars_before_quota", sa.Integer(), nullable=True),
        sa.Column("reviewed_stars", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.String(length=200), nullable=True),
        sa.Column("tie_at_cutoff", sa.Boolean(), nullable=False),
        sa.Column("finalized_by", sa.Integer(), nullable=True),
        sa.Column("finalized_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_review_outcome_assessment_id_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["finalized_by"], ["person.id"], name=op.f("fk_review_outcome_finalized_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_outcome")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_review_outcome_assessment_id")),
    )
    op.create_table(
        "committee_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("share", storage.types.ExactDecimal(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_committee_decision_assessment_id_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycle.id"], name=op.f("fk_committee_decision_cycle_id_cycle")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["person.id"], name=op.f("fk_committee_decision_decided_by_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_decision")),
    )
    with op.batch_alter_table("committee_decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_committee_decision_cycle_id_kind", ["cycle_id", "kind"], unique=False
        )

    op.create_table(
        "review_focus",
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("set_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_review_focus_assessment_id_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_review_focus_person_id_person")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_review_focus")),
    )


def downgrade() -> None:
    op.drop_table("review_focus")
    with op.batch_alter_table("committee_decision", schema=None) as batch_op:
        batch_op.drop_index("ix_committee_decision_cycle_id_kind")
    op.drop_table("committee_decision")
    op.drop_table("review_outcome")
