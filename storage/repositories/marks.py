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
    String,
    bindparam,
    cast,
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

_ANSWER, _LEVELS, _EVIDENCE = "answer", "levels", "evidence"
# Core columns, not ORM attributes: the rows are plain values, and the ORM's per-statement
# machinery would cost more than the query.
_ANSWERS, _PIECES = table_of(Answer).c, table_of(Evidence).c

# The types of a mark row's four value columns (item, level key or list, score, pieces), for a
# union whose first select holds no marks (`storage.repositories.standing`).
MARK_TYPES = (_ANSWERS.item_id.type, String(), _ANSWERS.score.type, Integer())
# Lists of `item_id<field>value` joined by <entry>: control characters, which no rubric key
# may contain (keys are lowercase ASCII letters, digits, "_" and ".").
_FIELD, _ENTRY = "\x1f", "\x1e"


def marks_of(assessment_id: ColumnElement[Any], *padding: ColumnElement[Any]) -> list[Select[Any]]:
    """The selects of an assessment's marks: `kind, *padding, item, level, score, pieces`.

    The level-key answers and the evidence counts come as one row each, a list in the level
    column (every row fetched is a call into SQLite, and a hand-off of the GIL when it runs in
    a thread); an answer that is a score (never the secretary's own, so far) comes as a row.

    Args:
        assessment_id: the assessment's id, a bound parameter or a scalar subquery.
        *padding: columns put between the kind and the mark (a wider union's other columns).
    """
    counts = (
        select(_PIECES.item_id, func.count().label("pieces"))
        .where(_PIECES.assessment_id == assessment_id)
        .group_by(_PIECES.item_id)
        .subquery()
    )
    own = (_ANSWERS.assessment_id == assessment_id, _ANSWERS.source == AnswerSource.SELF)
    # The score rows first: a union's first select types its columns (a Decimal score).
    return [
        select(
            literal(_ANSWER).label("kind"),
            *padding,
            _ANSWERS.item_id,
            null(),
            _ANSWERS.score,
            null(),
        ).where(*own, _ANSWERS.level_key.is_(None), _ANSWERS.score.is_not(None)),
        select(
            literal(_LEVELS),
            *padding,
            null(),
            func.aggregate_strings(_ANSWERS.item_id + _FIELD + _ANSWERS.level_key, _ENTRY),
            null(),
            null(),
        ).where(*own, _ANSWERS.level_key.is_not(None)),
        select(
            literal(_EVIDENCE),
            *padding,
            null(),
            func.aggregate_strings(
                counts.c.item_id + _FIELD + cast(counts.c.pieces, String), _ENTRY
            ),
            null(),
            null(),
        ),
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
    """Adds one row of `marks_of`'s selects to `marks` (`pieces` is in the lists now)."""
    if kind == _ANSWER:
        if score is not None:
            marks.answers[item_id] = score
    elif level_key:  # a list; NULL when there is nothing to list
        for entry in level_key.split(_ENTRY):
            item, _, value = entry.partition(_FIELD)
            if kind == _LEVELS:
                marks.answers[item] = value
            else:
                marks.evidence[item] = int(value)
