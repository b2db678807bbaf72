"""Where a secretary stands, in one query: person, branch, newest cycle, assessment and marks.

Every button press starts here, so this is one round trip instead of five (person, role grant,
cycle, assessment, and the card's answers and evidence counts), built once at import and read
as plain columns into small frozen views: the ORM's loading of three entities cost more than
SQLite takes to run the query. The rubric text
stays unread: the caller keeps parsed rubrics by SHA-256 and fetches the text only on a cache
miss (`cycle_rubric_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    and_,
    bindparam,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from storage.models import Assessment, Branch, Cycle, Person, Role, RoleGrant
from storage.repositories._dialect import table_of
from storage.repositories.marks import MARK_TYPES, AssessmentMarks, add_mark, marks_of

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
    caller can say "closed" rather than "not started"); `marks` are the assessment's answers
    and evidence counts as `assessment_marks` reads them, None when there is no assessment.
    """

    person_id: int
    branch: BranchView
    cycle: CycleView | None
    assessment: AssessmentView | None
    marks: AssessmentMarks | None = None


_STANDING_KIND = "standing"


def _names(view: type) -> tuple[str, ...]:
    """The view's field names, in order: its columns in the query."""
    return tuple(field.name for field in fields(view))


_PERSON, _GRANT, _BRANCH, _CYCLE, _ASSESSMENT = (
    table_of(model) for model in (Person, RoleGrant, Branch, Cycle, Assessment)
)
# Labelled apart: four of the tables have an `id`.
_STANDING_COLUMNS = (
    _PERSON.c.id.label("person_id"),
    *(_BRANCH.c[name].label(f"branch_{name}") for name in _names(BranchView)),
    *(_CYCLE.c[name].label(f"cycle_{name}") for name in _names(CycleView)),
    *(_ASSESSMENT.c[name].label(f"assessment_{name}") for name in _names(AssessmentView)),
)
_WHERE_SECRETARY = (
    select(*_STANDING_COLUMNS)
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
    .cte("standing")
)
# The standing row, then its assessment's marks (answers and evidence counts), in one union:
# every press reads both, and one statement is one round trip fewer. Each row says what it is
# in its first column; the standing row's mark columns and the marks' standing columns are
# NULL. The first select types the columns: its NULLs are cast (the score stays a Decimal, and
# PostgreSQL, which types a union pairwise, does not take two bare NULLs for text).
_STANDING: CompoundSelect[Any] = union_all(
    select(
        literal(_STANDING_KIND).label("kind"),
        *_WHERE_SECRETARY.c,
        *(cast(null(), kind).label(f"mark_{n}") for n, kind in enumerate(MARK_TYPES)),
    ),
    *marks_of(
        select(_WHERE_SECRETARY.c.assessment_id).scalar_subquery(),
        *(null() for _ in _STANDING_COLUMNS),
    ),
)
_BRANCH_END = 2 + len(_names(BranchView))
_CYCLE_END = _BRANCH_END + len(_names(CycleView))
_ASSESSMENT_END = _CYCLE_END + len(_names(AssessmentView))


def secretary_standing(session: Session, telegram_id: int) -> SecretaryStanding | None:
    """Returns the standing of the active secretary with this Telegram id, or None if unbound.

    The standing carries the assessment's marks, read in the same statement.

    Args:
        session: the caller's transaction.
        telegram_id: the numeric Telegram user id.
    """
    standing: Sequence[Any] | None = None
    marks = AssessmentMarks()
    # All rows at once: iterating the result would fetch them one call at a time.
    for row in session.connection().execute(_STANDING, {"telegram_id": telegram_id}).all():
        kind = row[0]
        if kind == _STANDING_KIND:
            standing = row
        else:
            add_mark(marks, kind, row[-4], row[-3], row[-2], row[-1])
    if standing is None:
        return None
    cycle = standing[_BRANCH_END:_CYCLE_END]
    assessment = standing[_CYCLE_END:_ASSESSMENT_END]
    exists = assessment[0] is not None
    return SecretaryStanding(
        standing[1],
        BranchView(*standing[2:_BRANCH_END]),
        CycleView(*cycle) if cycle[0] is not None else None,
        AssessmentView(*assessment) if exists else None,
        marks if exists else None,
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
