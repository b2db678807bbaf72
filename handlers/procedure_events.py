"""What towns and secretaries are told of publicity, the county's re-check and its spot check.

No callback-data kinds: the sweep sends these (`delivery` rows of kind `procedure_event`, owed
by `storage.repositories.publicity` and `storage.repositories.county`). Rendered when sent, so
news a later decision has overtaken (the county changed its mind, a correction was corrected
again) is dropped rather than sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.catalogue import text
from handlers.outbox import OutgoingMessage
from storage.models import (
    Assessment,
    Branch,
    CheckOutcome,
    CountyDecision,
    Cycle,
    Delivery,
    SpotCheckItem,
    Town,
)
from storage.repositories import cycle_rubric

__all__ = ["render_procedure_event"]


def render_procedure_event(
    session: Session, delivery: Delivery, now: datetime
) -> OutgoingMessage | None:
    """Renders a procedure notice; None when it is no longer owed."""
    payload = delivery.payload
    event = payload.get("event")
    if event == "publicity_closed":
        return _publicity_closed(session, payload)
    assessment = session.get(Assessment, payload.get("assessment_id"))
    if assessment is None:
        return None
    if event == "county_decided":
        return _county_decided(session, assessment, payload)
    if event == "spot_check_corrected":
        return _corrected(session, assessment, payload)
    return None


def _publicity_closed(session: Session, payload: dict[str, Any]) -> OutgoingMessage | None:
    cycle = session.get(Cycle, payload.get("cycle_id"))
    town = session.get(Town, cycle.town_id) if cycle is not None else None
    if cycle is None or town is None:
        return None
    return OutgoingMessage(
        text(
            "county.event.publicity_closed",
            town=town.name,
            year=cycle.year,
            decided=payload.get("town_decided", 0),
            recommended=payload.get("recommended", 0),
        )
    )


def _county_decided(
    session: Session, assessment: Assessment, payload: dict[str, Any]
) -> OutgoingMessage | None:
    decision = session.scalar(
        select(CountyDecision).where(CountyDecision.assessment_id == assessment.id)
    )
    if decision is None or decision.verdict != payload.get("verdict"):
        return None  # the county decided otherwise since: that notice is the one owed
    branch = session.get_one(Branch, assessment.branch_id)
    return OutgoingMessage(
        text(f"county.event.{decision.verdict}", branch=branch.name, reason=decision.reason)
    )


def _corrected(
    session: Session, assessment: Assessment, payload: dict[str, Any]
) -> OutgoingMessage | None:
    item = session.scalar(
        select(SpotCheckItem).where(SpotCheckItem.assessment_id == assessment.id)
    )
    if (
        item is None
        or item.outcome != CheckOutcome.CORRECTED
        or item.corrected_stars is None
        or item.corrected_stars != payload.get("stars")
    ):
        return None
    branch = session.get_one(Branch, assessment.branch_id)
    rubric = cycle_rubric(session.get_one(Cycle, assessment.cycle_id))
    return OutgoingMessage(
        text(
            "county.event.corrected",
            branch=branch.name,
            drawn=rubric.level(item.drawn_stars).label,
            corrected=rubric.level(item.corrected_stars).label,
            reason=item.reason or "",
        )
    )
