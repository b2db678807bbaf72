"""Rating cycles: a town's year, pinned to the rubric text it was opened with."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Cycle, CycleState, Town
from storage.repositories.audit import record_audit

if TYPE_CHECKING:
    from scoring import Rubric

__all__ = [
    "DEFAULT_REMINDER_DAYS",
    "CycleExists",
    "current_cycle",
    "cycle_rubric",
    "cycles_of",
    "find_cycle",
    "open_cycle",
    "rubric_sha256",
]

# Reminders 14, 7, 3 and 1 days before the deadline, and on its last day.
DEFAULT_REMINDER_DAYS = (14, 7, 3, 1, 0)

# Parsed rubrics by the SHA-256 of their text: a cycle's rubric never changes, so a button
# press never needs to parse YAML again after the first.
_RUBRIC_CACHE: dict[str, Rubric] = {}


class CycleExists(ValueError):
    """The town already has a cycle for that year."""

    def __init__(self, town: str, year: int) -> None:
        super().__init__(f"town {town!r} already has a {year} cycle")
        self.town = town
        self.year = year


def rubric_sha256(rubric_text: str) -> str:
    """Returns the hex SHA-256 of the rubric text, the key a cycle pins."""
    return hashlib.sha256(rubric_text.encode("utf-8")).hexdigest()


def open_cycle(
    session: Session,
    town: Town,
    year: int,
    deadline_at: datetime,
    rubric_text: str,
    reminder_days: Sequence[int] = DEFAULT_REMINDER_DAYS,
    now: datetime | None = None,
    actor_id: int | None = None,
) -> Cycle:
    """Opens the town's cycle for `year`, pinning a copy of the rubric text.

    Raises:
        RubricError: the rubric text does not parse (nothing is written).
        CycleExists: the town already has a cycle for that year.
    """
    sha = rubric_sha256(rubric_text)
    _RUBRIC_CACHE[sha] = _parse(rubric_text, source=f"cycle {town.name} {year}")
    if find_cycle(session, town.id, year) is not None:
        raise CycleExists(town.name, year)
    opened_at = now if now is not None else datetime.now(UTC)
    cycle = Cycle(
        town_id=town.id,
        year=year,
        deadline_at=deadline_at,
        state=CycleState.OPEN,
        rubric_text=rubric_text,
        rubric_sha256=sha,
        reminder_days=sorted({int(days) for days in reminder_days}, reverse=True),
        created_at=opened_at,
    )
    session.add(cycle)
    session.flush()
    record_audit(
        session,
        actor_id,
        "cycle.open",
        "cycle",
        cycle.id,
        None,
        {"town_id": town.id, "year": year, "deadline_at": deadline_at, "rubric_sha256": sha},
        None,
        opened_at,
    )
    return cycle


def find_cycle(session: Session, town_id: int, year: int) -> Cycle | None:
    """Returns the town's cycle for `year`, if any."""
    return session.scalar(select(Cycle).where(Cycle.town_id == town_id, Cycle.year == year))


def current_cycle(session: Session, town_id: int) -> Cycle | None:
    """Returns the town's newest open cycle, if any."""
    query = (
        select(Cycle)
        .where(Cycle.town_id == town_id, Cycle.state == CycleState.OPEN)
        .order_by(Cycle.year.desc())
        .limit(1)
    )
    return session.scalar(query)


def cycles_of(session: Session, town_id: int | None = None) -> list[Cycle]:
    """Returns cycles (of one town, or all), newest year first."""
    query = select(Cycle).order_by(Cycle.year.desc(), Cycle.town_id)
    if town_id is not None:
        query = query.where(Cycle.town_id == town_id)
    return list(session.scalars(query).all())


def cycle_rubric(cycle: Cycle) -> Rubric:
    """Returns the cycle's pinned rubric, parsed once per process per distinct text."""
    rubric = _RUBRIC_CACHE.get(cycle.rubric_sha256)
    if rubric is None:
        rubric = _parse(cycle.rubric_text, source=f"cycle {cycle.id}")
        _RUBRIC_CACHE[cycle.rubric_sha256] = rubric
    return rubric


def _parse(rubric_text: str, source: str) -> Rubric:
    # Imported here so `storage` loads without parsing machinery until a rubric is needed.
    from scoring import parse_rubric

    return parse_rubric(rubric_text, source=source)
