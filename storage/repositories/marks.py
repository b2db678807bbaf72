"""What an item card shows of an assessment, read in one query: answers and evidence counts.

Every button press renders a card from both; one `UNION ALL` instead of two statements saves a
round trip on each press. The statement is built once, at import, with a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    bindparam,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from storage.models import Answer, AnswerSource, Evidence
from storage.repositories._dialect import table_of

__all__ = ["MARK_TYPES", "AssessmentMarks", "add_mark", "assessment_marks", "marks_of"]

_ANSWER, _EVIDENCE = "answer", "evidence"
# Core columns, not ORM attributes: the rows are plain values, and the ORM's per-statement
# machinery would cost more than the query.
_ANSWERS, _PIECES = table_of(Answer).c, table_of(Evidence).c

# The types of a mark row's four value columns (item, level key, score, pieces), for a union
# whose first select holds no marks (`storage.repositories.standing`).
MARK_TYPES = (_ANSWERS.item_id.type, _ANSWERS.level_key.type, _ANSWERS.score.type, Integer())


def marks_of(assessment_id: ColumnElement[Any], *padding: ColumnElement[Any]) -> list[Select[Any]]:
    """The two selects of an assessment's marks: `kind, *padding, item, level, score, pieces`.

    Args:
        assessment_id: the assessment's id, a bound parameter or a scalar subquery.
        *padding: columns put between the kind and the mark (a wider union's other columns).
    """
    return [
        select(
            literal(_ANSWER).label("kind"),
            *padding,
            _ANSWERS.item_id,
            _ANSWERS.level_key,
            _ANSWERS.score,
            null().label("pieces"),
        ).where(_ANSWERS.assessment_id == assessment_id, _ANSWERS.source == AnswerSource.SELF),
        select(literal(_EVIDENCE), *padding, _PIECES.item_id, null(), null(), func.count())
        .where(_PIECES.assessment_id == assessment_id)
        .group_by(_PIECES.item_id),
    ]


_MARKS: CompoundSelect[Any] = union_all(*marks_of(bindparam("assessment_id")))


@dataclass
class AssessmentMarks:
    """The secretary's own answers and the evidence pieces per item, of one assessment.

    Attributes:
        answers: `{item_id: level key or score}` of the self-assessment's current answers.
        evidence: `{item_id: number of pieces of evidence}` for the items that have any.
    """

    answers: dict[str, str | Decimal] = field(default_factory=dict)
    evidence: dict[str, int] = field(default_factory=dict)


def assessment_marks(session: Session, assessment_id: int) -> AssessmentMarks:
    """Returns the assessment's own answers and evidence counts, in one statement.

    The same as `answers_of(session, assessment_id)` and `evidence_counts(session,
    assessment_id)` together.
    """
    marks = AssessmentMarks()
    for kind, item_id, level_key, score, pieces in (
        session.connection().execute(_MARKS, {"assessment_id": assessment_id}).all()
    ):
        add_mark(marks, kind, item_id, level_key, score, pieces)
    return marks


def add_mark(
    marks: AssessmentMarks,
    kind: str,
    item_id: str,
    level_key: str | None,
    score: Decimal | None,
    pieces: int | None,
) -> None:
    """Adds one row of `marks_of`'s selects to `marks`."""
    if kind == _EVIDENCE:
        marks.evidence[item_id] = int(pieces or 0)
    elif level_key is not None:
        marks.answers[item_id] = level_key
    elif score is not None:
        marks.answers[item_id] = score
