"""The county's re-check (县级复核): opinions, approval or rejection, a higher quota, spot checks.

Every function takes the county the acting officer holds the `county` role over and refuses a
branch of another county, so a county officer never reaches past the county's own towns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    Assessment,
    AssessmentState,
    Branch,
    CheckOutcome,
    County,
    CountyDecision,
    CountyOpinion,
    CountyVerdict,
    Cycle,
    DecisionKind,
    Publicity,
    SpotCheck,
    SpotCheckItem,
    Town,
)
from storage.repositories.audit import record_audit
from storage.repositories.cycles import cycle_rubric
from storage.repositories.procedure import ProcedureError, level_of, levels_of, notify
from storage.repositories.results import name_assessment
from storage.repositories.review import ReviewError, record_decision
from storage.repositories.roles import secretaries_of_town, town_reviewers

if TYPE_CHECKING:
    from scoring import PublicityPeriod, Rubric

__all__ = [
    "DISCIPLINE",
    "CountyBranch",
    "SpotCheckDraw",
    "approve_quota",
    "county_branch",
    "county_cycles",
    "decide_recommendation",
    "draw_spot_check",
    "recommendations",
    "record_check",
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
# Spot-checked levels are the town's own decisions (three and four stars), named or not: a
# town that names early does not escape the check.
_CHECKABLE = frozenset(
    {
        AssessmentState.TOWN_DECIDED,
        AssessmentState.COUNTY_REJECTED,
        AssessmentState.NAMED,
    }
)


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
        for found in _county_assessments(session, county, year)
        if found.branch.name == branch_name and town_name in (None, found.town.name)
    ]
    if not matches:
        raise ProcedureError(f"no assessment of {branch_name!r} in {county.name} {year}")
    if len(matches) > 1:
        towns = ", ".join(match.town.name for match in matches)
        raise ProcedureError(f"{branch_name!r} is a branch of {towns}: name the town")
    return matches[0]


def _county_assessments(session: Session, county: County, year: int) -> list[CountyBranch]:
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
        for found in _county_assessments(session, county, year)
        if found.assessment.state in _DECIDABLE
    ]


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


@dataclass(frozen=True)
class SpotCheckDraw:
    """A county's recorded draw: its seed and each sampled level's branches."""

    check: SpotCheck
    samples: dict[int, list[CountyBranch]]
    new: bool


def draw_spot_check(
    session: Session,
    county: County,
    year: int,
    seed: int | None,
    actor_id: int | None,
    now: datetime,
) -> SpotCheckDraw:
    """Draws (once) the spot-check sample of the county's year, or returns the recorded draw.

    Every town must be past its publicity. A seed other than the recorded one is refused:
    the draw is redrawn from its seed, never replaced.
    """
    import secrets

    from scoring import spot_check_sample

    existing = session.scalar(
        select(SpotCheck).where(SpotCheck.county_id == county.id, SpotCheck.year == year)
    )
    if existing is not None and seed is not None and seed != existing.seed:
        raise ProcedureError(f"the {year} sample was drawn with seed {existing.seed}")
    cycles = county_cycles(session, county, year)
    if not cycles:
        raise ProcedureError(f"no town of {county.name} has a {year} cycle")
    closed = set(
        session.scalars(
            select(Publicity.cycle_id).where(
                Publicity.cycle_id.in_([cycle.id for _, cycle in cycles]),
                Publicity.closed_at.is_not(None),
            )
        ).all()
    )
    waiting = [town.name for town, cycle in cycles if cycle.id not in closed]
    if waiting and existing is None:
        raise ProcedureError(f"publicity not yet over in {', '.join(waiting)}")
    candidates = [
        found
        for found in _county_assessments(session, county, year)
        if found.assessment.state in _CHECKABLE
    ]
    levels = levels_of(session, [found.assessment.id for found in candidates])
    if existing is not None:
        drawn = dict(
            session.execute(
                select(SpotCheckItem.assessment_id, SpotCheckItem.drawn_stars).where(
                    SpotCheckItem.spot_check_id == existing.id
                )
            ).all()
        )
        samples: dict[int, list[CountyBranch]] = {}
        for found in candidates:
            if found.assessment.id in drawn:
                samples.setdefault(drawn[found.assessment.id], []).append(found)
        return SpotCheckDraw(existing, samples, new=False)
    rubric = _strictest_rubric([cycle for _, cycle in cycles])
    chosen_seed = seed if seed is not None else secrets.randbelow(2**31)
    by_id = {str(found.assessment.id): found for found in candidates}
    held = [
        (key, stars)
        for key, found in by_id.items()
        if (stars := levels[found.assessment.id]) is not None
    ]
    sample = spot_check_sample(rubric, held, chosen_seed)
    check = SpotCheck(
        county_id=county.id, year=year, seed=chosen_seed, drawn_by=actor_id, drawn_at=now
    )
    session.add(check)
    session.flush()
    samples = {}
    for stars, keys in sorted(sample.items()):
        samples[stars] = [by_id[key] for key in keys]
        for key in keys:
            session.add(
                SpotCheckItem(
                    spot_check_id=check.id,
                    assessment_id=by_id[key].assessment.id,
                    drawn_stars=stars,
                )
            )
    session.flush()
    new = {
        "year": year,
        "seed": chosen_seed,
        "samples": {str(stars): [f.branch.name for f in rows] for stars, rows in samples.items()},
    }
    record_audit(session, actor_id, "county.spot_check", "county", county.id, None, new, None, now)
    return SpotCheckDraw(check, samples, new=True)


def _strictest_rubric(cycles: list[Cycle]) -> Rubric:
    """The towns' rubrics may differ: the county samples every level any of them samples, at
    the highest share any of them asks."""
    rubrics = [cycle_rubric(cycle) for cycle in cycles]
    fraction = max(rubric.spot_check.fraction for rubric in rubrics)
    levels = tuple(sorted({stars for r in rubrics for stars in r.spot_check.levels}, reverse=True))
    spot_check = replace(rubrics[0].spot_check, fraction=fraction, levels=levels)
    return replace(rubrics[0], spot_check=spot_check)


def record_check(
    session: Session,
    county: County,
    found: CountyBranch,
    corrected_stars: int | None,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Records a spot check's outcome: confirmed (`corrected_stars` None) or a corrected level.

    A correction needs a reason, is audited and its secretary is told; a branch already named
    is named again with the level as it now stands. Returns False when the same outcome is
    already recorded.
    """
    item = session.scalar(
        select(SpotCheckItem)
        .join(SpotCheck, SpotCheck.id == SpotCheckItem.spot_check_id)
        .where(
            SpotCheck.county_id == county.id,
            SpotCheck.year == found.cycle.year,
            SpotCheckItem.assessment_id == found.assessment.id,
        )
    )
    if item is None:
        raise ProcedureError(f"{found.branch.name} was not drawn for the {found.cycle.year} check")
    reason = reason.strip()
    if not reason:
        raise ProcedureError("a spot check's outcome needs a reason")
    outcome = CheckOutcome.CONFIRMED
    if corrected_stars is not None and corrected_stars != item.drawn_stars:
        outcome = CheckOutcome.CORRECTED
        valid = {level.stars for level in cycle_rubric(found.cycle).levels}
        if corrected_stars not in valid:
            raise ProcedureError(f"no level of {corrected_stars} stars in the town's rubric")
    corrected = corrected_stars if outcome is CheckOutcome.CORRECTED else None
    if (item.outcome, item.corrected_stars, item.reason) == (outcome, corrected, reason):
        return False
    old = {"outcome": item.outcome, "corrected_stars": item.corrected_stars}
    item.outcome, item.corrected_stars, item.reason = outcome, corrected, reason
    item.checked_by, item.checked_at = actor_id, now
    new = {"outcome": outcome, "drawn_stars": item.drawn_stars, "corrected_stars": corrected}
    record_audit(
        session, actor_id, "county.check", "assessment", found.assessment.id, old, new, reason, now
    )
    session.flush()
    assessment = found.assessment
    stars = level_of(session, assessment.id)
    if assessment.state == AssessmentState.NAMED and stars not in (None, assessment.final_stars):
        name_assessment(session, assessment, stars, now, actor_id, reason)
    if outcome is CheckOutcome.CORRECTED:
        payload = {
            "event": "spot_check_corrected",
            "assessment_id": found.assessment.id,
            "branch_id": found.branch.id,
            "drawn_stars": item.drawn_stars,
            "stars": corrected,
            "reason": reason,
        }
        key = f"check:{item.id}:{corrected}"
        secretaries = secretaries_of_town(session, found.town.id).get(found.branch.id, [])
        notify(session, secretaries, key, payload, now)
    return True
