"""The organisation tree: counties, towns and branches."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Branch, County, Town

__all__ = [
    "AmbiguousOrgName",
    "BranchChange",
    "branches_of_town",
    "find_branch",
    "find_county",
    "find_town",
    "get_or_create_county",
    "get_or_create_town",
    "upsert_branch",
]


class AmbiguousOrgName(LookupError):
    """A town name used by more than one county; `county/town` names it exactly."""

    def __init__(self, name: str, matches: Sequence[str]) -> None:
        super().__init__(f"{name!r} matches {len(matches)} towns: {', '.join(matches)}")
        self.name = name
        self.matches = tuple(matches)


class BranchChange(StrEnum):
    """What `upsert_branch` did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def get_or_create_county(session: Session, name: str) -> County:
    """Returns the county called `name`, adding it when new."""
    county = session.scalar(select(County).where(County.name == name))
    if county is None:
        county = County(name=name)
        session.add(county)
        session.flush()
    return county


def get_or_create_town(session: Session, county: County, name: str) -> Town:
    """Returns `county`'s town called `name`, adding it when new."""
    town = session.scalar(select(Town).where(Town.county_id == county.id, Town.name == name))
    if town is None:
        town = Town(county_id=county.id, name=name, county=county)
        session.add(town)
        session.flush()
    return town


def upsert_branch(
    session: Session,
    town: Town,
    name: str,
    category: str,
    code: str | None = None,
    secretary_name: str | None = None,
) -> tuple[Branch, BranchChange]:
    """Adds the branch or brings its category, code and secretary's name up to date.

    Returns:
        The branch and whether it was created, updated or already as given.
    """
    branch = session.scalar(select(Branch).where(Branch.town_id == town.id, Branch.name == name))
    if branch is None:
        branch = Branch(
            town_id=town.id,
            name=name,
            category=category,
            code=code,
            secretary_name=secretary_name,
        )
        session.add(branch)
        session.flush()
        return branch, BranchChange.CREATED
    wanted = (category, code, secretary_name)
    if (branch.category, branch.code, branch.secretary_name) == wanted:
        return branch, BranchChange.UNCHANGED
    branch.category, branch.code, branch.secretary_name = wanted
    session.flush()
    return branch, BranchChange.UPDATED


def find_county(session: Session, name: str) -> County | None:
    """Returns the county called `name`, if any."""
    return session.scalar(select(County).where(County.name == name.strip()))


def find_town(session: Session, name: str) -> Town | None:
    """Returns the town called `name` (or `county/town` when two counties share a name).

    Raises:
        AmbiguousOrgName: the plain name is used in more than one county.
    """
    county_name, _, town_name = name.strip().rpartition("/")
    query = select(Town).where(Town.name == town_name.strip())
    if county_name:
        query = query.join(County, Town.county_id == County.id).where(
            County.name == county_name.strip()
        )
    towns = session.scalars(query).unique().all()
    if len(towns) > 1:
        raise AmbiguousOrgName(name, [f"{town.county.name}/{town.name}" for town in towns])
    return towns[0] if towns else None


def find_branch(session: Session, town_name: str, branch_name: str) -> Branch | None:
    """Returns the branch `branch_name` of the town `town_name` (see `find_town`)."""
    town = find_town(session, town_name)
    if town is None:
        return None
    return session.scalar(
        select(Branch).where(Branch.town_id == town.id, Branch.name == branch_name.strip())
    )


def branches_of_town(session: Session, town_id: int) -> list[Branch]:
    """Returns the town's branches in a stable order (code, then name)."""
    query = select(Branch).where(Branch.town_id == town_id).order_by(Branch.code, Branch.name)
    return list(session.scalars(query).all())
