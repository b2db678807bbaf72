"""pyproject.toml: every dependency bounded below its next major version, and installed within."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text("utf-8"))
REQUIREMENTS = [
    Requirement(line)
    for line in [
        *PYPROJECT["project"]["dependencies"],
        *PYPROJECT["project"]["optional-dependencies"]["dev"],
    ]
]


def next_major(release: Version) -> Version:
    """1.4 -> 2; 0.29 -> 1 (a 0.x release counts as major version 0)."""
    return Version(str(release.major + 1))


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=str)
def test_each_dependency_has_an_upper_bound_no_later_than_its_next_major_version(
    requirement: Requirement,
) -> None:
    installed = Version(version(requirement.name))
    upper = [Version(spec.version) for spec in requirement.specifier if spec.operator == "<"]

    assert len(upper) == 1
    assert upper[0] <= next_major(installed)
    assert requirement.specifier.contains(installed)


def test_packages_nothing_uses_are_not_required() -> None:
    names = {requirement.name.lower() for requirement in REQUIREMENTS}
    extras = {extra for requirement in REQUIREMENTS for extra in requirement.extras}

    assert "aiosqlite" not in names
    assert "rate-limiter" not in extras
