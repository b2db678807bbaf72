"""The organisation tree: counties, towns and branches, and the rule every stored name follows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Branch, County, Role, Town

__all__ = [
    "NAME_LENGTHS",
    "AmbiguousOrgName",
    "BranchChange",
    "InvalidName",
    "all_towns",
    "branches_of_town",
    "clean_name",
    "find_branch",
    "find_county",
    "find_town",
    "get_or_create_county",
    "get_or_create_town",
    "org_label",
    "town_name",
    "upsert_branch",
]


def _length(column: Any) -> int:
    length = column.type.length
    if not isinstance(length, int):  # pragma: no cover - every name column is a sized String
        raise TypeError(f"{column} has no length")
    return int(length)


# The most characters each name may have: the model's column lengths, checked here so both
# databases refuse the same names with the same message (SQLite would store any length).
NAME_LENGTHS: dict[str, int] = {
    "county": _length(County.name),
    "town": _length(Town.name),
    "branch": _length(Branch.name),
    "secretary": _length(Branch.secretary_name),
    "code": _length(Branch.code),
    "category": _length(Branch.category),
}

# Characters that display as nothing: a name holding one looks the same as the name without
# it, so it would make a look-alike duplicate. Excel and chat apps insert them unseen, so they
# are removed rather than refused.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"))
# Control characters (NUL, escape, bidi overrides...) that remain are refused: they cannot be
# typed on purpose and change how a name prints.
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs"}
_SPACES = re.compile(r"\s+")


class InvalidName(ValueError):
    """A name that cannot be stored; the message names the field and what is wrong."""


def clean_name(value: str, field: str) -> str:
    """Returns the name as stored: NFKC (full-width letters and spaces become ASCII), invisible
    characters removed, line breaks and runs of spaces made one space, trimmed.

    Args:
        field: a key of `NAME_LENGTHS`, naming the column the value goes to.

    Raises:
        InvalidName: the name holds a control character or is longer than its column.
    """
    text = unicodedata.normalize("NFKC", value).translate(_INVISIBLE)
    text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    for char in text:
        if unicodedata.category(char) in _CONTROL_CATEGORIES:
            raise InvalidName(f"{field} name holds the control character U+{ord(char):04X}")
    text = _SPACES.sub(" ", text).strip()
    limit = NAME_LENGTHS[field]
    if len(text) > limit:
        raise InvalidName(f"{field} name has {len(text):,} characters, at most {limit}")
    return text


def _required_name(value: str, field: str) -> str:
    text = clean_name(value, field)
    if not text:
        raise InvalidName(f"empty {field} name")
    return text


def _optional_name(value: str | None, field: str) -> str | None:
    return None if value is None else clean_name(value, field) or None


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
    """Returns the county called `name`, adding it when new.

    Raises:
        InvalidName: see `clean_name`; nothing is written.
    """
    name = _required_name(name, "county")
    county = session.scalar(select(County).where(County.name == name))
    if county is None:
        county = County(name=name)
        session.add(county)
        session.flush()
    return county


def get_or_create_town(session: Session, county: County, name: str) -> Town:
    """Returns `county`'s town called `name`, adding it when new.

    Raises:
        InvalidName: see `clean_name`; nothing is written.
    """
    name = _required_name(name, "town")
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
    last_year_stars: int | None = None,
) -> tuple[Branch, BranchChange]:
    """Adds the branch or brings its category, code and secretary's name up to date.

    Last year's level is set when given; a file without it leaves the stored one alone.

    Returns:
        The branch and whether it was created, updated or already as given.

    Raises:
        InvalidName: a name or the code breaks `clean_name`'s rule; nothing is written.
    """
    name = _required_name(name, "branch")
    category = _required_name(category, "category")
    code = _optional_name(code, "code")
    secretary_name = _optional_name(secretary_name, "secretary")
    branch = session.scalar(select(Branch).where(Branch.town_id == town.id, Branch.name == name))
    if branch is None:
        branch = Branch(
            town_id=town.id,
            name=name,
            category=category,
            code=code,
            secretary_name=secretary_name,
            last_year_stars=last_year_stars,
        )
        session.add(branch)
        session.flush()
        return branch, BranchChange.CREATED
    if last_year_stars is None:
        last_year_stars = branch.last_year_stars
    wanted = (category, code, secretary_name, last_year_stars)
    if (branch.category, branch.code, branch.secretary_name, branch.last_year_stars) == wanted:
        return branch, BranchChange.UNCHANGED
    branch.category, branch.code, branch.secretary_name, branch.last_year_stars = wanted
    session.flush()
    return branch, BranchChange.UPDATED


def _lookup_name(value: str, field: str) -> str | None:
    # A name that could never be stored matches nothing (and a NUL byte never reaches
    # PostgreSQL, which refuses it in any statement).
    try:
        return clean_name(value, field) or None
    except InvalidName:
        return None


def find_county(session: Session, name: str) -> County | None:
    """Returns the county called `name` (compared as `clean_name` stores it), if any."""
    county_name = _lookup_name(name, "county")
    if county_name is None:
        return None
    return session.scalar(select(County).where(County.name == county_name))


def find_town(session: Session, name: str) -> Town | None:
    """Returns the town called `name` (or `county/town` when two counties share a name).

    Raises:
        AmbiguousOrgName: the plain name is used in more than one county.
    """
    county_part, _, town_part = name.rpartition("/")
    town_name = _lookup_name(town_part, "town")
    county_name = _lookup_name(county_part, "county")
    if town_name is None or (county_part.strip() and county_name is None):
        return None
    query = select(Town).where(Town.name == town_name)
    if county_name is not None:
        query = query.join(County, Town.county_id == County.id).where(County.name == county_name)
    towns = session.scalars(query).unique().all()
    if len(towns) > 1:
        raise AmbiguousOrgName(name, [f"{town.county.name}/{town.name}" for town in towns])
    return towns[0] if towns else None


def find_branch(session: Session, town_name: str, branch_name: str) -> Branch | None:
    """Returns the branch `branch_name` of the town `town_name` (see `find_town`)."""
    town = find_town(session, town_name)
    name = _lookup_name(branch_name, "branch")
    if town is None or name is None:
        return None
    return session.scalar(select(Branch).where(Branch.town_id == town.id, Branch.name == name))


def branches_of_town(session: Session, town_id: int) -> list[Branch]:
    """Returns the town's branches in a stable order (code, then name)."""
    query = select(Branch).where(Branch.town_id == town_id).order_by(Branch.code, Branch.name)
    return list(session.scalars(query).all())


def all_towns(session: Session) -> list[Town]:
    """Returns every town, each with its county, by county and town name."""
    query = select(Town).join(County, Town.county_id == County.id).order_by(County.name, Town.name)
    return list(session.scalars(query).unique().all())


def org_label(session: Session, role: str, org_id: int) -> str:
    """Returns how a grant's organisation is written on the command line: a county, a town, or
    `town/branch` for a secretary's branch; `#id` when it no longer exists."""
    if role == Role.COUNTY:
        county = session.get(County, org_id)
        return county.name if county else f"#{org_id}"
    if role == Role.TOWN:
        town = session.get(Town, org_id)
        return town.name if town else f"#{org_id}"
    branch = session.get(Branch, org_id)
    town = session.get(Town, branch.town_id) if branch else None
    return f"{town.name}/{branch.name}" if branch and town else f"#{org_id}"


def town_name(session: Session, town_id: int) -> str:
    """Returns the name of the town with this id.

    Raises:
        LookupError: there is no such town.
    """
    name = session.scalar(select(Town.name).where(Town.id == town_id))
    if name is None:
        raise LookupError(f"no town {town_id}")
    return name
