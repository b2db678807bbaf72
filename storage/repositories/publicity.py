"""The town's publicity (公示), objections (异议), the end of publicity and naming (统一命名).

The town publicises the levels its committee finalised. Opening records the period (computed
by the caller over the working-day calendar); during it objections are recorded against a
branch and later resolved, upheld or dismissed. When the period has ended, closing (a
scheduled job, or the command line) moves four stars and below to `town_decided` and
five-star branches to `recommended`, and tells the town's officers. Naming then gives every
decided, approved or corrected branch without an open or upheld objection its final level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    Assessment,
    AssessmentState,
    Branch,
    Cycle,
    CycleState,
    Objection,
    ObjectionOutcome,
    Publicity,
    ReviewOutcome,
)
from storage.repositories.audit import record_audit
from storage.repositories.procedure import ProcedureError, levels_of, notify
from storage.repositories.results import name_assessment
from storage.repositories.roles import town_reviewers

if TYPE_CHECKING:
    from storage.working_days import PublicityPeriod

__all__ = [
    "NAMEABLE_STATES",
    "Naming",
    "PublicisedBranch",
    "close_due_publicities",
    "close_publicity",
    "find_publicity",
    "name_cycle",
    "open_publicity",
    "publicised_branches",
    "raise_objection",
    "resolve_objection",
]

# The top level goes to the county; every level below it is the town's to decide.
_RECOMMENDED_STARS = 5
# A branch is named once its level is final: decided by the town, or by the county.
NAMEABLE_STATES = frozenset(
    {
        AssessmentState.TOWN_DECIDED,
        AssessmentState.COUNTY_APPROVED,
        AssessmentState.COUNTY_REJECTED,
    }
)
_MAX_NAME = 100


@dataclass(frozen=True)
class PublicisedBranch:
    """A branch on the publicity list: its assessment, level as it stands, and objections."""

    branch: Branch
    assessment: Assessment
    stars: int | None
    total: Any
    objections: tuple[Objection, ...]

    @property
    def held(self) -> bool:
        """An objection still open, or upheld: the branch is not named."""
        return any(o.outcome != ObjectionOutcome.DISMISSED for o in self.objections)


def find_publicity(session: Session, cycle_id: int) -> Publicity | None:
    """The cycle's publicity, if it was opened."""
    return session.scalar(select(Publicity).where(Publicity.cycle_id == cycle_id))


def open_publicity(
    session: Session,
    cycle: Cycle,
    period: PublicityPeriod,
    zone: tzinfo,
    contact: str,
    actor_id: int | None,
    now: datetime,
) -> Publicity:
    """Records the town's publicity over `period`; the town's levels must be final.

    The period ends at midnight after its last day in `zone` (the zone the town reads dates
    in); the record keeps which calendar each year was counted on.

    Raises:
        ProcedureError: already opened, the cycle is closed, no contact, or a reviewed branch
            has no finalised level (finalising must run again first).
    """
    if find_publicity(session, cycle.id) is not None:
        raise ProcedureError(f"the {cycle.year} publicity of this town is already open")
    if cycle.state != CycleState.OPEN:
        raise ProcedureError(f"the {cycle.year} cycle is closed")
    contact = contact.strip()
    if not contact or len(contact) > 200:
        raise ProcedureError("give a contact for objections (1 to 200 characters)")
    reviewed = session.execute(
        select(Branch.name, ReviewOutcome.reviewed_stars)
        .join(Assessment, Assessment.branch_id == Branch.id)
        .outerjoin(ReviewOutcome, ReviewOutcome.assessment_id == Assessment.id)
        .where(Assessment.cycle_id == cycle.id, Assessment.state == AssessmentState.REVIEWED)
    ).all()
    if not reviewed:
        raise ProcedureError("no branch is reviewed: nothing to publicise")
    unfinalised = sorted(name for name, stars in reviewed if stars is None)
    if unfinalised:
        raise ProcedureError(
            f"no finalised level for {', '.join(unfinalised)}: run pingxing finalize first"
        )
    ends_at = datetime.combine(period.end + timedelta(days=1), time(0), zone)
    calendars: dict[str, Any] = {
        str(year): source.value for year, source in sorted(period.calendars.items())
    }
    calendars["library"] = f"holidays {period.library_version}"
    if period.corrections_source is not None:
        calendars["corrections"] = period.corrections_source
    publicity = Publicity(
        cycle_id=cycle.id,
        starts_on=period.start,
        ends_on=period.end,
        ends_at=ends_at.astimezone(UTC),
        working_days=len(period.working_days),
        calendars=calendars,
        contact=contact,
        opened_by=actor_id,
        opened_at=now,
    )
    session.add(publicity)
    session.flush()
    new = {
        "starts_on": period.start.isoformat(),
        "ends_on": period.end.isoformat(),
        "working_days": len(period.working_days),
        "calendars": calendars,
    }
    record_audit(session, actor_id, "publicity.open", "cycle", cycle.id, None, new, None, now)
    return publicity


def publicised_branches(session: Session, cycle: Cycle) -> list[PublicisedBranch]:
    """The branches the town publicised (reviewed and after), best level first, then name."""
    rows = session.execute(
        select(Branch, Assessment, ReviewOutcome.total)
        .join(Assessment, Assessment.branch_id == Branch.id)
        .join(ReviewOutcome, ReviewOutcome.assessment_id == Assessment.id)
        .where(
            Assessment.cycle_id == cycle.id,
            Assessment.state.in_([AssessmentState.REVIEWED, *_AFTER_REVIEW]),
            ReviewOutcome.reviewed_stars.is_not(None),
        )
    ).all()
    ids = [assessment.id for _, assessment, _ in rows]
    levels = levels_of(session, ids)
    objections: dict[int, list[Objection]] = {}
    for objection in session.scalars(
        select(Objection).where(Objection.assessment_id.in_(ids)).order_by(Objection.id)
    ).all():
        objections.setdefault(objection.assessment_id, []).append(objection)
    listed = [
        PublicisedBranch(
            branch,
            assessment,
            levels[assessment.id],
            total,
            tuple(objections.get(assessment.id, ())),
        )
        for branch, assessment, total in rows
    ]
    listed.sort(key=lambda row: (-(row.stars or 0), row.branch.name))
    return listed


_AFTER_REVIEW = (
    AssessmentState.TOWN_DECIDED,
    AssessmentState.RECOMMENDED,
    AssessmentState.COUNTY_APPROVED,
    AssessmentState.COUNTY_REJECTED,
    AssessmentState.NAMED,
)


def raise_objection(
    session: Session,
    cycle: Cycle,
    branch: Branch,
    raised_by: str,
    content: str,
    actor_id: int | None,
    now: datetime,
) -> Objection:
    """Records an objection against a publicised branch, during the publicity period."""
    publicity = find_publicity(session, cycle.id)
    # Accepted until the closing step has run (within the hour after the period's end), so
    # an objection posted on the last evening is never lost to the clock.
    if publicity is None or publicity.closed_at is not None:
        raise ProcedureError("objections are recorded during the publicity period only")
    assessment = session.scalar(
        select(Assessment).where(
            Assessment.cycle_id == cycle.id, Assessment.branch_id == branch.id
        )
    )
    if assessment is None or assessment.state != AssessmentState.REVIEWED:
        raise ProcedureError(f"{branch.name} is not on the publicity list")
    raised_by, content = raised_by.strip(), content.strip()
    if not raised_by or len(raised_by) > _MAX_NAME or not content:
        raise ProcedureError("an objection names who raised it (1 to 100 characters) and what")
    objection = Objection(
        assessment_id=assessment.id,
        raised_by=raised_by,
        content=content,
        raised_at=now,
        recorded_by=actor_id,
    )
    session.add(objection)
    session.flush()
    new = {"objection_id": objection.id, "raised_by": raised_by, "content": content}
    record_audit(
        session, actor_id, "publicity.objection", "assessment", assessment.id, None, new, None, now
    )
    return objection


def resolve_objection(
    session: Session,
    objection_id: int,
    outcome: ObjectionOutcome,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Records how an objection ended, with a reason; False when it already ended so."""
    objection = session.get(Objection, objection_id, with_for_update=True)
    if objection is None:
        raise ProcedureError(f"no objection {objection_id}")
    reason = reason.strip()
    if not reason:
        raise ProcedureError("resolving an objection needs a reason")
    if (objection.outcome, objection.outcome_reason) == (outcome, reason):
        return False
    assessment = session.get_one(Assessment, objection.assessment_id)
    if assessment.state == AssessmentState.NAMED:
        raise ProcedureError("the branch is already named")
    old = {"outcome": objection.outcome}
    objection.outcome, objection.outcome_reason = outcome, reason
    objection.resolved_by, objection.resolved_at = actor_id, now
    record_audit(
        session,
        actor_id,
        "publicity.resolve",
        "assessment",
        objection.assessment_id,
        old,
        {"objection_id": objection_id, "outcome": outcome},
        reason,
        now,
    )
    session.flush()
    return True


def close_publicity(session: Session, publicity: Publicity, now: datetime) -> dict[str, int]:
    """Ends a publicity whose period is over: levels below five decided, five recommended.

    Returns how many branches went to each state. Each move is audited; the town's officers
    are owed one notice.
    """
    if now < publicity.ends_at:
        raise ProcedureError(f"the publicity runs until {publicity.ends_on}")
    if publicity.closed_at is not None:
        return {}
    cycle = session.get_one(Cycle, publicity.cycle_id)
    moved = {AssessmentState.TOWN_DECIDED.value: 0, AssessmentState.RECOMMENDED.value: 0}
    for row in publicised_branches(session, cycle):
        if row.assessment.state != AssessmentState.REVIEWED:
            continue
        state = (
            AssessmentState.RECOMMENDED
            if row.stars == _RECOMMENDED_STARS
            else AssessmentState.TOWN_DECIDED
        )
        row.assessment.state = state
        row.assessment.version += 1
        row.assessment.updated_at = now
        moved[state.value] += 1
        record_audit(
            session,
            None,
            "publicity.close",
            "assessment",
            row.assessment.id,
            {"state": AssessmentState.REVIEWED},
            {"state": state, "stars": row.stars},
            None,
            now,
        )
    publicity.closed_at = now
    session.flush()
    payload = {"event": "publicity_closed", "cycle_id": cycle.id, **moved}
    officers = town_reviewers(session, cycle.town_id)
    notify(session, officers, f"publicity:{publicity.id}:closed", payload, now)
    return moved


def close_due_publicities(session: Session, now: datetime) -> int:
    """Closes every publicity whose period has ended; returns how many. The scheduled step."""
    due = session.scalars(
        select(Publicity)
        .where(Publicity.closed_at.is_(None), Publicity.ends_at <= now)
        .order_by(Publicity.id)
        .with_for_update(skip_locked=True)
    ).all()
    for publicity in due:
        close_publicity(session, publicity, now)
    return len(due)


@dataclass(frozen=True)
class Naming:
    """What naming did: the branches named with their level, and those held back and why."""

    named: list[tuple[str, int | None]]
    held: list[tuple[str, str]]
    cycle_closed: bool


def name_cycle(session: Session, cycle: Cycle, actor_id: int | None, now: datetime) -> Naming:
    """Names every branch whose level is final and has no open or upheld objection.

    Held back: a recommendation the county has not decided (`awaiting_county`), an open
    objection (`objection_open`), an upheld one (`objection_upheld`, not named this year).
    The cycle closes once nothing awaits the county or an objection's outcome.
    """
    publicity = find_publicity(session, cycle.id)
    if publicity is None or publicity.closed_at is None:
        raise ProcedureError("naming follows the end of the publicity period")
    named: list[tuple[str, int | None]] = []
    held: list[tuple[str, str]] = []
    for row in publicised_branches(session, cycle):
        state = row.assessment.state
        why = _held_because(row)
        if state == AssessmentState.NAMED:
            named.append((row.branch.name, row.stars))
        elif why is not None:
            held.append((row.branch.name, why))
        elif state in NAMEABLE_STATES:
            _name(session, row, actor_id, now)
            named.append((row.branch.name, row.stars))
    waiting = [why for _, why in held if why != "objection_upheld"]
    closed = not waiting and cycle.state == CycleState.OPEN
    if closed:
        cycle.state = CycleState.CLOSED
        record_audit(
            session,
            actor_id,
            "cycle.close",
            "cycle",
            cycle.id,
            {"state": CycleState.OPEN},
            {"state": CycleState.CLOSED},
            None,
            now,
        )
        session.flush()
    return Naming(named, held, cycle.state == CycleState.CLOSED)


def _held_because(row: PublicisedBranch) -> str | None:
    if row.assessment.state == AssessmentState.RECOMMENDED:
        return "awaiting_county"
    outcomes = {objection.outcome for objection in row.objections}
    if None in outcomes:
        return "objection_open"
    if ObjectionOutcome.UPHELD in outcomes:
        return "objection_upheld"
    return None


def _name(session: Session, row: PublicisedBranch, actor_id: int | None, now: datetime) -> None:
    """Names one branch with its level as it stands; its secretaries are owed the result."""
    if row.stars is None:  # pragma: no cover - a publicised branch always holds a level
        raise ProcedureError(f"{row.branch.name} holds no level")
    name_assessment(session, row.assessment, row.stars, now, actor_id)
