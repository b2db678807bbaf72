"""Where a secretary stands, in one query: their person, branch, newest cycle and assessment.

Every button press starts here, so this is one round trip instead of four (person, role grant,
cycle, assessment). The rubric text stays unloaded: the caller keeps parsed rubrics by SHA-256
and fetches the text only on a cache miss (`cycle_rubric_text`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, defer

from storage.models import Assessment, Branch, Cycle, Person, Role, RoleGrant

__all__ = ["SecretaryStanding", "cycle_rubric_text", "secretary_standing"]


@dataclass(frozen=True)
class SecretaryStanding:
    """A bound secretary's position; `cycle` and `assessment` are None until they exist.

    `cycle` is the branch's town's newest cycle whatever its state (a closed one too, so the
    caller can say "closed" rather than "not started"); its `rubric_text` is deferred.
    """

    person_id: int
    branch: Branch
    cycle: Cycle | None
    assessment: Assessment | None


# Every button press runs this query: built once, run with the user's id.
_STANDING = (
    select(Person.id, Branch, Cycle, Assessment)
    .join(RoleGrant, RoleGrant.person_id == Person.id)
    .join(Branch, Branch.id == RoleGrant.org_id)
    .outerjoin(Cycle, Cycle.town_id == Branch.town_id)
    .outerjoin(
        Assessment,
        and_(Assessment.branch_id == Branch.id, Assessment.cycle_id == Cycle.id),
    )
    .where(
        Person.telegram_id == bindparam("telegram_id"),
        RoleGrant.role == Role.SECRETARY,
        RoleGrant.revoked_at.is_(None),
    )
    .order_by(RoleGrant.granted_at.desc(), Cycle.year.desc())
    .limit(1)
    .options(defer(Cycle.rubric_text))
    # A press must see the committed row, not an identity-map copy from earlier.
    .execution_options(populate_existing=True)
)


def secretary_standing(session: Session, telegram_id: int) -> SecretaryStanding | None:
    """Returns the standing of the active secretary with this Telegram id, or None if unbound.

    Args:
        session: the caller's transaction.
        telegram_id: the numeric Telegram user id.
    """
    row = session.execute(_STANDING, {"telegram_id": telegram_id}).one_or_none()
    if row is None:
        return None
    person_id, branch, cycle, assessment = row
    return SecretaryStanding(person_id, branch, cycle, assessment)


def cycle_rubric_text(session: Session, cycle_id: int) -> str:
    """Returns the rubric text a cycle pinned.

    Raises:
        LookupError: there is no such cycle.
    """
    rubric_text = session.scalar(select(Cycle.rubric_text).where(Cycle.id == cycle_id))
    if rubric_text is None:
        raise LookupError(f"no cycle {cycle_id}")
    return rubric_text
