"""What publicity, the county and naming share: a branch's level as it stands, and notices.

A branch's level moves through the procedure's last steps; at every moment the one that counts
is the latest of: the town's finalised level (`review_outcome.reviewed_stars`), the county's
decision on a five-star recommendation (`county_decision.stars`), and a spot-check correction
(`spot_check_item.corrected_stars`). `levels_of` reads all three for a set of assessments in
three queries; the named level (统一命名) is the same reading at naming time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    CheckOutcome,
    CountyDecision,
    DeliveryKind,
    Person,
    ReviewOutcome,
    Role,
    RoleGrant,
    SpotCheckItem,
)
from storage.repositories.deliveries import owe_delivery

__all__ = [
    "ProcedureError",
    "granted_orgs",
    "level_of",
    "levels_of",
    "notify",
]


class ProcedureError(ValueError):
    """A step the procedure does not allow now; the message says why and what to do."""


def levels_of(session: Session, assessment_ids: Iterable[int]) -> dict[int, int | None]:
    """assessment id → its level as it stands (None: the town gave it no level)."""
    ids = list(assessment_ids)
    levels: dict[int, int | None] = dict.fromkeys(ids)
    if not ids:
        return levels
    for assessment_id, stars in session.execute(
        select(ReviewOutcome.assessment_id, ReviewOutcome.reviewed_stars).where(
            ReviewOutcome.assessment_id.in_(ids)
        )
    ):
        levels[assessment_id] = stars
    for assessment_id, stars in session.execute(
        select(CountyDecision.assessment_id, CountyDecision.stars).where(
            CountyDecision.assessment_id.in_(ids)
        )
    ):
        levels[assessment_id] = stars
    for assessment_id, stars in session.execute(
        select(SpotCheckItem.assessment_id, SpotCheckItem.corrected_stars).where(
            SpotCheckItem.assessment_id.in_(ids),
            SpotCheckItem.outcome == CheckOutcome.CORRECTED,
        )
    ):
        levels[assessment_id] = stars
    return levels


def level_of(session: Session, assessment_id: int) -> int | None:
    """One assessment's level as it stands."""
    return levels_of(session, [assessment_id])[assessment_id]


def granted_orgs(session: Session, telegram_id: int, role: Role) -> list[int]:
    """The organisations the Telegram user holds `role` over now, in the order granted."""
    return list(
        session.scalars(
            select(RoleGrant.org_id)
            .join(Person, Person.id == RoleGrant.person_id)
            .where(
                Person.telegram_id == telegram_id,
                RoleGrant.role == role,
                RoleGrant.revoked_at.is_(None),
            )
            .order_by(RoleGrant.granted_at, RoleGrant.id)
        ).all()
    )


def notify(
    session: Session,
    telegram_ids: Iterable[int],
    due_key: str,
    payload: dict[str, Any],
    now: datetime,
) -> int:
    """Owes each of `telegram_ids` a procedure notice; returns how many were newly owed.

    The due key makes the notice owed once per person, however often the step is repeated.
    """
    return sum(
        owe_delivery(session, DeliveryKind.PROCEDURE_EVENT, telegram_id, due_key, payload, now)
        for telegram_id in telegram_ids
    )
