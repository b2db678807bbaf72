"""The county's re-check (县级复核): opinions, approval or rejection, a higher quota, publicity.

Every function takes the county the acting officer holds the `county` role over and refuses a
branch of another county, so a county officer never reaches past the county's own towns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import (
    Assessment,
    AssessmentState,
    Branch,
    County,
    CountyDecision,
    CountyOpinion,
    CountyVerdict,
    Cycle,
    DecisionKind,
    Evidence,
    Publicity,
    ReviewOutcome,
    Town,
)
from storage.repositories.audit import record_audit
from storage.repositories.procedure import ProcedureError, notify
from storage.repositories.review import ReviewError, record_decision
from storage.repositories.roles import town_reviewers

if TYPE_CHECKING:
    from storage.working_days import PublicityPeriod

__all__ = [
    "DISCIPLINE",
    "CountyBranch",
    "RecommendationView",
    "approve_quota",
    "county_assessments",
    "county_branch",
    "county_cycles",
    "decide_recommendation",
    "recommendation_view",
    "recommendations",
    "record_county_publicity",
    "record_opinion",
]

# The department key of the discipline-inspection organ (纪检监察机关), whose opinion the seed
# requires before a five-star branch is approved.
DISCIPLINE = "discipline"
_DECIDABLE = frozenset(
    {
        AssessmentState.RECOMMENDED,
        AssessmentState.COUNTY_APPROVED,
        AssessmentState.COUNTY_REJECTED,
    }
)
_REJECTED_STARS = 4
_APPROVED_STARS = 5


@dataclass(frozen=True)
class CountyBranch:
    """A branch of the county in a year: its town, cycle and assessment."""

    town: Town
    cycle: Cycle
    branch: Branch
    assessment: Assessment


def county_cycles(session: Session, county: County, year: int) -> list[tuple[Town, Cycle]]:
    """The county's towns with a cycle in `year`, by town name."""
    rows = session.execute(
        select(Town, Cycle)
        .join(Cycle, Cycle.town_id == Town.id)
        .where(Town.county_id == county.id, Cycle.year == year)
        .order_by(Town.name)
    ).all()
    return [(town, cycle) for town, cycle in rows]


def county_branch(
    session: Session, county: County, year: int, town_name: str | None, branch_name: str
) -> CountyBranch:
    """The branch `branch_name` of the county's year (`town_name` when two towns share it)."""
    matches = [
        found
        for found in county_assessments(session, county, year)
        if found.branch.name == branch_name and town_name in (None, found.town.name)
    ]
    if not matches:
        raise ProcedureError(f"no assessment of {branch_name!r} in {county.name} {year}")
    if len(matches) > 1:
        towns = ", ".join(match.town.name for match in matches)
        raise ProcedureError(f"{branch_name!r} is a branch of {towns}: name the town")
    return matches[0]


def county_assessments(session: Session, county: County, year: int) -> list[CountyBranch]:
    rows = session.execute(
        select(Town, Cycle, Branch, Assessment)
        .join(Cycle, Cycle.town_id == Town.id)
        .join(Assessment, Assessment.cycle_id == Cycle.id)
        .join(Branch, Branch.id == Assessment.branch_id)
        .where(Town.county_id == county.id, Cycle.year == year)
        .order_by(Town.name, Branch.name)
    ).all()
    return [CountyBranch(*row) for row in rows]


def recommendations(session: Session, county: County, year: int) -> list[CountyBranch]:
    """The five-star recommendations of the county's towns, decided or not."""
    return [
        found
        for found in county_assessments(session, county, year)
        if found.assessment.state in _DECIDABLE
    ]


@dataclass(frozen=True)
class RecommendationView:
    """What the county reads about one recommendation: the town's figures and notes, the
    evidence held, the departments' opinions and the county's decision."""

    found: CountyBranch
    total: Decimal | None
    reviewed_stars: int | None
    reasons: tuple[str, ...]
    evidence: int
    opinions: tuple[CountyOpinion, ...]
    decision: CountyDecision | None


def recommendation_view(session: Session, found: CountyBranch) -> RecommendationView:
    """Reads one recommendation as the county re-checks it."""
    assessment_id = found.assessment.id
    outcome = session.scalar(
        select(ReviewOutcome).where(ReviewOutcome.assessment_id == assessment_id)
    )
    evidence = session.scalar(
        select(func.count()).select_from(Evidence).where(Evidence.assessment_id == assessment_id)
    )
    opinions = session.scalars(
        select(CountyOpinion)
        .where(CountyOpinion.assessment_id == assessment_id)
        .order_by(CountyOpinion.id)
    ).all()
    decision = session.scalar(
        select(CountyDecision).where(CountyDecision.assessment_id == assessment_id)
    )
    return RecommendationView(
        found,
        outcome.total if outcome is not None else None,
        outcome.reviewed_stars if outcome is not None else None,
        tuple((outcome.reasons or "").split(",")) if outcome and outcome.reasons else (),
        int(evidence or 0),
        tuple(opinions),
        decision,
    )


def record_county_publicity(
    session: Session,
    county: County,
    year: int,
    period: PublicityPeriod,
    contact: str,
    actor_id: int | None,
    now: datetime,
) -> list[CountyBranch]:
    """Records the county's own publicity of its proposed five-star list; returns the list.

    The list is every recommendation not rejected: approved, or still awaiting the decision
    this publicity prepares. Audited on the county with the period and the names.
    """
    listed = [
        found
        for found in recommendations(session, county, year)
        if found.assessment.state != AssessmentState.COUNTY_REJECTED
    ]
    if not listed:
        raise ProcedureError(f"{county.name} has no five-star recommendation for {year}")
    if not contact.strip():
        raise ProcedureError("give a contact for objections")
    new = {
        "year": year,
        "starts_on": period.start.isoformat(),
        "ends_on": period.end.isoformat(),
        "contact": contact.strip(),
        "branches": [f"{found.town.name}/{found.branch.name}" for found in listed],
    }
    record_audit(session, actor_id, "county.publicity", "county", county.id, None, new, None, now)
    session.flush()
    return listed


def record_opinion(
    session: Session,
    found: CountyBranch,
    department: str,
    opinion: str,
    actor_id: int | None,
    now: datetime,
) -> CountyOpinion:
    """Records a department's opinion on a recommended branch (纪检监察: `discipline`)."""
    department, opinion = department.strip(), opinion.strip()
    if not department or len(department) > 100 or not opinion:
        raise ProcedureError("an opinion names its department (1 to 100 characters) and says it")
    if found.assessment.state not in _DECIDABLE:
        raise ProcedureError(f"{found.branch.name} is not a five-star recommendation")
    row = CountyOpinion(
        assessment_id=found.assessment.id,
        department=department,
        opinion=opinion,
        recorded_by=actor_id,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    new = {"department": department, "opinion": opinion}
    record_audit(
        session,
        actor_id,
        "county.opinion",
        "assessment",
        found.assessment.id,
        None,
        new,
        None,
        now,
    )
    return row


def decide_recommendation(
    session: Session,
    found: CountyBranch,
    verdict: CountyVerdict,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Approves (five stars) or rejects (four stars) a recommendation; the town is told.

    Approval needs the discipline-inspection organ's opinion first. A decision may be changed
    until the branch is named; each change is audited. Returns False when nothing changes.
    """
    reason = reason.strip()
    if not reason:
        raise ProcedureError("the county's decision needs a reason")
    assessment = found.assessment
    if assessment.state not in _DECIDABLE:
        raise ProcedureError(
            f"{found.branch.name} is {assessment.state}: the county decides recommendations"
        )
    if verdict is CountyVerdict.APPROVED and not _has_discipline_opinion(session, assessment.id):
        raise ProcedureError(
            f"record the discipline-inspection opinion on {found.branch.name} first "
            f"(department {DISCIPLINE})"
        )
    stars = _APPROVED_STARS if verdict is CountyVerdict.APPROVED else _REJECTED_STARS
    decision = session.scalar(
        select(CountyDecision).where(CountyDecision.assessment_id == assessment.id)
    )
    if decision is not None and (decision.verdict, decision.reason) == (verdict, reason):
        return False
    old = {"state": assessment.state, "verdict": decision.verdict if decision else None}
    if decision is None:
        decision = CountyDecision(assessment_id=assessment.id)
        session.add(decision)
    decision.verdict, decision.stars, decision.reason = verdict, stars, reason
    decision.decided_by, decision.decided_at = actor_id, now
    state = (
        AssessmentState.COUNTY_APPROVED
        if verdict is CountyVerdict.APPROVED
        else AssessmentState.COUNTY_REJECTED
    )
    assessment.state = state
    assessment.version += 1
    assessment.updated_at = now
    new = {"state": state, "verdict": verdict, "stars": stars}
    record_audit(
        session, actor_id, "county.decide", "assessment", assessment.id, old, new, reason, now
    )
    session.flush()
    payload = {
        "event": "county_decided",
        "assessment_id": assessment.id,
        "branch_id": found.branch.id,
        "verdict": verdict,
        "stars": stars,
        "reason": reason,
    }
    key = f"county:{assessment.id}:{assessment.version}"
    notify(session, town_reviewers(session, found.town.id), key, payload, now)
    return True


def _has_discipline_opinion(session: Session, assessment_id: int) -> bool:
    found = session.scalar(
        select(CountyOpinion.id).where(
            CountyOpinion.assessment_id == assessment_id, CountyOpinion.department == DISCIPLINE
        )
    )
    return found is not None


def approve_quota(
    session: Session,
    county: County,
    town: Town,
    cycle: Cycle,
    share: Decimal,
    reference: str,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Approves a higher five-star share for a town, with the approval's document number.

    Recorded as the town's quota override, which finalising applies; so it must come before
    the town's publicity, as the levels publicised are final.
    """
    if town.county_id != county.id:
        raise ProcedureError(f"{town.name} is not a town of {county.name}")
    opened = session.scalar(select(Publicity.id).where(Publicity.cycle_id == cycle.id))
    if opened is not None:
        raise ProcedureError(f"{town.name}'s publicity has started: its levels are final")
    try:
        record_decision(
            session,
            cycle.id,
            DecisionKind.QUOTA_OVERRIDE,
            reason,
            actor_id,
            now,
            share=share,
            reference=reference,
        )
    except ReviewError as error:
        raise ProcedureError(str(error)) from None
