"""The named queries the admin commands read through, on both databases."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.models import AssessmentState, Role
from storage.repositories.assessments import get_or_create_assessment
from storage.repositories.orgs import all_towns, org_label
from storage.repositories.status import assessment_state_counts
from tests.storage.seed import NOW, seed_assessment, seed_branch, seed_town


async def test_all_towns_come_by_county_then_town_name(database) -> None:
    def towns(session: Session) -> list[str]:
        for county, town in [("城关县", "温店镇"), ("安居县", "新集镇"), ("城关县", "城关镇")]:
            seed_town(session, county, town)
        return [f"{town.county.name}/{town.name}" for town in all_towns(session)]

    assert await database.run(towns) == ["城关县/城关镇", "城关县/温店镇", "安居县/新集镇"]


async def test_a_grants_organisation_is_labelled_as_the_command_line_names_it(database) -> None:
    def labels(session: Session) -> list[str]:
        branch = seed_branch(session)
        town = seed_town(session)
        return [
            org_label(session, Role.COUNTY, town.county_id),
            org_label(session, Role.TOWN, town.id),
            org_label(session, Role.SECRETARY, branch.id),
            org_label(session, Role.SECRETARY, 999_999),
        ]

    assert await database.run(labels) == [
        "城关县",
        "温店镇",
        "温店镇/东村党支部",
        "#999999",
    ]


async def test_assessments_are_counted_by_state(database) -> None:
    def counts(session: Session) -> dict[str, int]:
        first = seed_assessment(session)
        second = seed_branch(session, "西村党支部")
        get_or_create_assessment(session, second.id, first.cycle_id, NOW)
        third = seed_branch(session, "南湾村党支部")
        submitted = get_or_create_assessment(session, third.id, first.cycle_id, NOW)
        submitted.state = AssessmentState.SUBMITTED
        session.flush()
        return assessment_state_counts(session, first.cycle_id)

    assert await database.run(counts) == {"in_progress": 2, "submitted": 1}
