"""Which branch a town officer has open in the bot, so typed commands know what they act on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ReviewFocus
from storage.repositories._dialect import insert_for

__all__ = ["focus_of", "set_focus"]


def set_focus(session: Session, person_id: int, assessment_id: int, now: datetime) -> None:
    """Makes `assessment_id` the officer's open branch, in one upsert."""
    statement = insert_for(session, ReviewFocus).values(
        person_id=person_id, assessment_id=assessment_id, set_at=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["person_id"],
            set_={"assessment_id": assessment_id, "set_at": now},
        )
    )


def focus_of(session: Session, person_id: int) -> int | None:
    """Returns the assessment the officer has open, if any."""
    return session.scalar(
        select(ReviewFocus.assessment_id).where(ReviewFocus.person_id == person_id)
    )
