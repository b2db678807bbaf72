"""The county's spot check (抽查复核): one seeded draw per county and year, and each outcome.

At least the rubric's share (15% by default, rounded up) of the three-star and of the
four-star branches of all the county's towns, each level sampled on its own by
`scoring.spot_check_sample`; the seed is recorded so anyone redraws the same sample. A
correction changes the branch's level as it stands, names a named branch again with it, and
tells its secretaries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    AssessmentState,
    CheckOutcome,
    County,
    Cycle,
    Publicity,
    SpotCheck,
    SpotCheckItem,
)
from storage.repositories.audit import record_audit
from storage.repositories.county import CountyBranch, county_assessments, county_cycles
from storage.repositories.cycles import cycle_rubric
from storage.repositories.procedure import ProcedureError, level_of, levels_of, notify
from storage.repositories.results import name_assessment
from storage.repositories.roles import secretaries_of_town

if TYPE_CHECKING:
    from scoring import Rubric

__all__ = ["SpotCheckDraw", "draw_spot_check", "record_check"]

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
        for found in county_assessments(session, county, year)
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
