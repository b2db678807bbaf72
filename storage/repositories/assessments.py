"""A branch's assessment in a cycle: answers, position, the card message, submission."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from storage.models import Answer, AnswerSource, Assessment, AssessmentState
from storage.repositories._dialect import dialect_name, insert_for, per_dialect, table_of
from storage.repositories.audit import record_audit

__all__ = [
    "EDITABLE_STATES",
    "InvalidTransition",
    "answers_of",
    "get_assessment",
    "get_assessment_for_update",
    "get_or_create_assessment",
    "set_answer",
    "set_card",
    "set_position",
    "submit_assessment",
]

# The states in which the secretary may change answers, evidence and claims, and submit: while
# answering, and again once the town returns it for revision. Every other state is locked.
EDITABLE_STATES = frozenset({AssessmentState.IN_PROGRESS, AssessmentState.RETURNED})

_ANSWER = table_of(Answer)
_ASSESSMENT = table_of(Assessment)
# The answer path's writes, built once (see `_dialect`).
_UPSERT_ANSWER = per_dialect(
    lambda insert: (upsert := insert(_ANSWER)).on_conflict_do_update(
        index_elements=["assessment_id", "item_id", "source"],
        set_={
            "level_key": upsert.excluded.level_key,
            "score": upsert.excluded.score,
            "answered_by": upsert.excluded.answered_by,
            "answered_at": upsert.excluded.answered_at,
        },
    )
)
# The version is bumped in SQL, so two writers cannot both read one version and write the next.
_MOVE = (
    update(_ASSESSMENT)
    .where(_ASSESSMENT.c.id == bindparam("assessment_id"))
    .values(
        current_item_id=bindparam("item_id"),
        version=_ASSESSMENT.c.version + 1,
        updated_at=bindparam("now"),
    )
    .returning(_ASSESSMENT.c.version)
)
# Read on every press for the card (built once: see `_dialect`).
_ANSWERS_OF = select(Answer.item_id, Answer.level_key, Answer.score).where(
    Answer.assessment_id == bindparam("assessment_id"), Answer.source == bindparam("source")
)
_SET_CARD = (
    update(_ASSESSMENT)
    .where(_ASSESSMENT.c.id == bindparam("assessment_id"))
    .values(card_chat_id=bindparam("chat_id"), card_message_id=bindparam("message_id"))
)


class InvalidTransition(ValueError):
    """A state change the procedure does not allow from the assessment's current state."""

    def __init__(self, assessment_id: int, state: str, wanted: str) -> None:
        super().__init__(f"assessment {assessment_id} is {state!r}: cannot become {wanted!r}")
        self.assessment_id = assessment_id
        self.state = state
        self.wanted = wanted


def get_assessment(session: Session, branch_id: int, cycle_id: int) -> Assessment | None:
    """Returns the branch's assessment in the cycle, if started."""
    return session.scalar(
        select(Assessment).where(
            Assessment.branch_id == branch_id, Assessment.cycle_id == cycle_id
        )
    )


def get_or_create_assessment(
    session: Session, branch_id: int, cycle_id: int, now: datetime
) -> Assessment:
    """Returns the branch's assessment in the cycle, starting it (`in_progress`) when new.

    One query when it exists; otherwise an `INSERT ... ON CONFLICT DO NOTHING`, so two first
    presses at once start one assessment, not an integrity error.
    """
    assessment = get_assessment(session, branch_id, cycle_id)
    if assessment is not None:
        return assessment
    session.execute(
        insert_for(session, Assessment)
        .values(
            branch_id=branch_id,
            cycle_id=cycle_id,
            state=AssessmentState.IN_PROGRESS,
            version=1,
            started_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["branch_id", "cycle_id"])
    )
    created = get_assessment(session, branch_id, cycle_id)
    if created is None:  # pragma: no cover - the row exists after the insert
        raise LookupError(f"assessment of branch {branch_id} in cycle {cycle_id} vanished")
    return created


def get_assessment_for_update(session: Session, assessment_id: int) -> Assessment | None:
    """Returns the assessment with its row locked until the transaction ends.

    PostgreSQL takes a row lock (`FOR UPDATE`); SQLite already holds the database write lock
    from `BEGIN IMMEDIATE`, and SQLAlchemy leaves the clause out there.
    """
    query = (
        select(Assessment)
        .where(Assessment.id == assessment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalar(query)


def answers_of(
    session: Session, assessment_id: int, source: AnswerSource = AnswerSource.SELF
) -> dict[str, str | Decimal]:
    """Returns `{item_id: level key or score}` of one source's current answers."""
    parameters = {"assessment_id": assessment_id, "source": source}
    rows = session.connection().execute(_ANSWERS_OF, parameters).all()
    answers: dict[str, str | Decimal] = {}
    for item_id, level_key, score in rows:
        if level_key is not None:
            answers[item_id] = level_key
        elif score is not None:
            answers[item_id] = score
    return answers


def set_answer(
    session: Session,
    assessment_id: int,
    item_id: str,
    answer: str | Decimal,
    source: AnswerSource,
    person_id: int | None,
    now: datetime,
) -> None:
    """Records the current answer (a level key, or a reviewer's `Decimal` score), in one upsert.

    Raises:
        TypeError: `answer` is neither a level key nor a Decimal (floats are refused).
    """
    if isinstance(answer, str):
        level_key, score = answer, None
    elif isinstance(answer, Decimal):
        level_key, score = None, answer
    else:
        raise TypeError(f"answer must be a level key or a Decimal, got {answer!r}")
    session.connection().execute(
        _UPSERT_ANSWER[dialect_name(session)],
        {
            "assessment_id": assessment_id,
            "item_id": item_id,
            "source": source,
            "level_key": level_key,
            "score": score,
            "answered_by": person_id,
            "answered_at": now,
        },
    )


def set_position(session: Session, assessment_id: int, item_id: str | None, now: datetime) -> int:
    """Moves the secretary to `item_id` and bumps the version; returns the new version.

    The version lets a handler refuse a press on a card that no longer shows the current item.
    """
    version = session.connection().scalar(
        _MOVE, {"assessment_id": assessment_id, "item_id": item_id, "now": now}
    )
    if version is None:
        raise LookupError(f"no assessment {assessment_id}")
    return int(version)


def set_card(
    session: Session, assessment_id: int, chat_id: int | None, message_id: int | None
) -> None:
    """Remembers which message is the assessment's card, edited in place."""
    session.connection().execute(
        _SET_CARD, {"assessment_id": assessment_id, "chat_id": chat_id, "message_id": message_id}
    )


def submit_assessment(
    session: Session,
    assessment_id: int,
    declared_stars: int,
    person_id: int | None,
    now: datetime,
) -> Assessment:
    """Submits (locks) the self-assessment with the declared level, and audits it.

    The row is locked first (see `get_assessment_for_update`), so a double press cannot submit
    twice.

    Raises:
        LookupError: there is no such assessment.
        InvalidTransition: it is not in one of the `EDITABLE_STATES`.
    """
    assessment = get_assessment_for_update(session, assessment_id)
    if assessment is None:
        raise LookupError(f"no assessment {assessment_id}")
    if assessment.state not in EDITABLE_STATES:
        raise InvalidTransition(assessment.id, assessment.state, AssessmentState.SUBMITTED)
    old = {"state": assessment.state, "declared_stars": assessment.declared_stars}
    assessment.state = AssessmentState.SUBMITTED
    assessment.declared_stars = declared_stars
    assessment.submitted_at = now
    assessment.updated_at = now
    assessment.version += 1
    session.flush()
    record_audit(
        session,
        person_id,
        "assessment.submit",
        "assessment",
        assessment.id,
        old,
        {"state": assessment.state, "declared_stars": declared_stars},
        None,
        now,
    )
    return assessment
