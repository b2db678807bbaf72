"""What an item card shows of an assessment: the secretary's answers and the evidence counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from storage.repositories.assessments import answers_of
from storage.repositories.evidence import evidence_counts

__all__ = ["AssessmentMarks", "assessment_marks"]


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
    """Returns the assessment's own answers and evidence counts (two small queries)."""
    return AssessmentMarks(
        answers_of(session, assessment_id), evidence_counts(session, assessment_id)
    )
