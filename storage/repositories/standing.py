"""Where a secretary stands, in one query: person, branch, newest cycle and assessment.

Every button press starts here. The rows come back as small frozen views, so a handler reads
the standing as it was when the transaction read it and changes it only through repositories.
The rubric text stays unread: the caller keeps parsed rubrics by SHA-256 and fetches the text
only on a cache miss (`cycle_rubric_text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from storage.models import Assessment, Branch, Cycle, Person, Role, RoleGrant

__all__ = [
    "AssessmentView",
    "BranchView",
    "CycleView",
    "SecretaryStanding",
    "cycle_rubric_text",
    "secretary_standing",
]


@dataclass(frozen=True, slots=True)
class BranchView:
    """The branch row's fields a press needs."""

    id: int
    town_id: int
    name: str
    category: str


@dataclass(frozen=True, slots=True)
class CycleView:
    """The cycle row's fields a press needs (not the rubric text)."""

    id: int
    year: int
    state: str
    deadline_at: datetime
    rubric_sha256: str


@dataclass(frozen=True, slots=True)
class AssessmentView:
    """The assessment row as it stood when read: its state, position and card message."""

    id: int
    state: str
    version: int
    current_item_id: str | None
    card_chat_id: int | None
    card_message_id: int | None
    declared_stars: int | None
    reopened_until: datetime | None
    final_stars: int | None

    @classmethod
    def of(cls, assessment: Assessment) -> AssessmentView:
        """The view of an ORM row (e.g. one `get_or_create_assessment` just started)."""
        return cls(
            assessment.id,
            assessment.state,
            assessment.version,
            assessment.current_item_id,
            assessment.card_chat_id,
            assessment.card_message_id,
            assessment.declared_stars,
            assessment.reopened_until,
            assessment.final_stars,
        )


@dataclass(frozen=True)
class SecretaryStanding:
    """A bound secretary's position; `cycle` and `assessment` are None until they exist.

    `cycle` is the branch's town's newest cycle whatever its state (a closed one too, so the
    caller can say "closed" rather than "not started").
    """

    person_id: int
    branch: BranchView
    cycle: CycleView | None
    assessment: AssessmentView | None


# Every update of a secretary starts with this query: built once, run with the user's id.
_STANDING = (
    select(
        Person.id.label("person_id"),
        Branch.id.label("branch_id"),
        Branch.town_id,
        Branch.name.label("branch_name"),
        Branch.category,
        Cycle.id.label("cycle_id"),
        Cycle.year,
        Cycle.state.label("cycle_state"),
        Cycle.deadline_at,
        Cycle.rubric_sha256,
        Assessment.id.label("assessment_id"),
        Assessment.state.label("assessment_state"),
        Assessment.version,
        Assessment.current_item_id,
        Assessment.card_chat_id,
        Assessment.card_message_id,
        Assessment.declared_stars,
        Assessment.reopened_until,
        Assessment.final_stars,
    )
    .join(RoleGrant, RoleGrant.person_id == Person.id)
    .join(Branch, Branch.id == RoleGrant.org_id)
    .outerjoin(Cycle, Cycle.town_id == Branch.town_id)
    .outerjoin(
        Assessment, and_(Assessment.branch_id == Branch.id, Assessment.cycle_id == Cycle.id)
    )
    .where(
        Person.telegram_id == bindparam("telegram_id"),
        RoleGrant.role == Role.SECRETARY,
        RoleGrant.revoked_at.is_(None),
    )
    .order_by(RoleGrant.granted_at.desc(), Cycle.year.desc())
    .limit(1)
)


def secretary_standing(session: Session, telegram_id: int) -> SecretaryStanding | None:
    """Returns the standing of the active secretary with this Telegram id, or None if unbound.

    Args:
        session: the caller's transaction.
        telegram_id: the numeric Telegram user id.
    """
    row = session.connection().execute(_STANDING, {"telegram_id": telegram_id}).first()
    if row is None:
        return None
    branch = BranchView(row.branch_id, row.town_id, row.branch_name, row.category)
    cycle = None
    if row.cycle_id is not None:
        cycle = CycleView(
            row.cycle_id, row.year, row.cycle_state, row.deadline_at, row.rubric_sha256
        )
    assessment = None
    if row.assessment_id is not None:
        assessment = AssessmentView(
            row.assessment_id,
            row.assessment_state,
            row.version,
            row.current_item_id,
            row.card_chat_id,
            row.card_message_id,
            row.declared_stars,
            row.reopened_until,
            row.final_stars,
        )
    return SecretaryStanding(row.person_id, branch, cycle, assessment)


def cycle_rubric_text(session: Session, cycle_id: int) -> str:
    """Returns the rubric text a cycle pinned.

    Raises:
        LookupError: there is no such cycle.
    """
    rubric_text = session.scalar(select(Cycle.rubric_text).where(Cycle.id == cycle_id))
    if rubric_text is None:
        raise LookupError(f"no cycle {cycle_id}")
    return rubric_text
