"""Where a secretary stands, in one query: their person, branch, newest cycle and assessment.

Every button press starts here, so this is one round trip instead of four (person, role grant,
cycle, assessment), built once at import and read as plain columns into small frozen views: the
ORM's loading of three entities cost more than SQLite takes to run the query. The rubric text
stays unread: the caller keeps parsed rubrics by SHA-256 and fetches the text only on a cache
miss (`cycle_rubric_text`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from storage.models import Assessment, Branch, Cycle, Person, Role, RoleGrant
from storage.repositories._dialect import table_of

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


def _names(view: type) -> tuple[str, ...]:
    """The view's field names, in order: its columns in the query."""
    return tuple(field.name for field in fields(view))


_PERSON, _GRANT, _BRANCH, _CYCLE, _ASSESSMENT = (
    table_of(model) for model in (Person, RoleGrant, Branch, Cycle, Assessment)
)
_STANDING = (
    select(
        _PERSON.c.id,
        *(_BRANCH.c[name] for name in _names(BranchView)),
        *(_CYCLE.c[name] for name in _names(CycleView)),
        *(_ASSESSMENT.c[name] for name in _names(AssessmentView)),
    )
    .select_from(
        _PERSON.join(_GRANT, _GRANT.c.person_id == _PERSON.c.id)
        .join(_BRANCH, _BRANCH.c.id == _GRANT.c.org_id)
        .outerjoin(_CYCLE, _CYCLE.c.town_id == _BRANCH.c.town_id)
        .outerjoin(
            _ASSESSMENT,
            and_(_ASSESSMENT.c.branch_id == _BRANCH.c.id, _ASSESSMENT.c.cycle_id == _CYCLE.c.id),
        )
    )
    .where(
        _PERSON.c.telegram_id == bindparam("telegram_id"),
        _GRANT.c.role == Role.SECRETARY,
        _GRANT.c.revoked_at.is_(None),
    )
    .order_by(_GRANT.c.granted_at.desc(), _CYCLE.c.year.desc())
    .limit(1)
)
_BRANCH_END = 1 + len(_names(BranchView))
_CYCLE_END = _BRANCH_END + len(_names(CycleView))


def secretary_standing(session: Session, telegram_id: int) -> SecretaryStanding | None:
    """Returns the standing of the active secretary with this Telegram id, or None if unbound.

    Args:
        session: the caller's transaction.
        telegram_id: the numeric Telegram user id.
    """
    row = session.connection().execute(_STANDING, {"telegram_id": telegram_id}).first()
    if row is None:
        return None
    cycle = row[_BRANCH_END:_CYCLE_END]
    assessment = row[_CYCLE_END:]
    return SecretaryStanding(
        row[0],
        BranchView(*row[1:_BRANCH_END]),
        CycleView(*cycle) if cycle[0] is not None else None,
        AssessmentView(*assessment) if assessment[0] is not None else None,
    )


def cycle_rubric_text(session: Session, cycle_id: int) -> str:
    """Returns the rubric text a cycle pinned.

    Raises:
        LookupError: there is no such cycle.
    """
    rubric_text = session.scalar(select(Cycle.rubric_text).where(Cycle.id == cycle_id))
    if rubric_text is None:
        raise LookupError(f"no cycle {cycle_id}")
    return rubric_text
