"""What an item card shows of an assessment, read in one query: answers and evidence counts.

Every button press renders a card from both; one `UNION ALL` instead of two statements saves a
round trip on each press. The statement is built once, at import, with a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from storage.models import Answer, AnswerSource, Evidence
from storage.repositories._dialect import table_of

__all__ = ["AssessmentMarks", "assessment_marks"]

_ANSWER, _EVIDENCE = "answer", "evidence"
# Core columns, not ORM attributes: the rows are plain values, and the ORM's per-statement
# machinery would cost more than the query.
_ANSWERS, _PIECES = table_of(Answer).c, table_of(Evidence).c

_MARKS: CompoundSelect[Any] = union_all(
    select(
        literal(_ANSWER).label("kind"),
        _ANSWERS.item_id,
        _ANSWERS.level_key,
        _ANSWERS.score,
        null().label("pieces"),
    ).where(
        _ANSWERS.assessment_id == bindparam("assessment_id"),
        _ANSWERS.source == AnswerSource.SELF,
    ),
    select(
        literal(_EVIDENCE),
        _PIECES.item_id,
        null(),
        null(),
        func.count(),
    )
    .where(_PIECES.assessment_id == bindparam("assessment_id"))
    .group_by(_PIECES.item_id),
)


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
    for kind, item_id, level_key, score, pieces in session.connection().execute(
        _MARKS, {"assessment_id": assessment_id}
    ):
        if kind == _EVIDENCE:
            marks.evidence[item_id] = int(pieces)
        elif level_key is not None:
            marks.answers[item_id] = level_key
        elif score is not None:
            marks.answers[item_id] = score
    return marks
