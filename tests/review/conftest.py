"""The handler harness (tests/handlers) with a town officer and submitted assessments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.offline import FakeUser
from scoring import default_rubric
from storage import repositories as repo
from storage.models import AnswerSource, Assessment, Role, Town
from tests.handlers.conftest import Harness, bot, secretary  # noqa: F401 (fixtures used here)

OFFICER = FakeUser(5001, "王委员")
OTHER_OFFICER = FakeUser(5002, "赵委员")
RUBRIC = default_rubric()


def _grant_officers(session: Session) -> None:
    town = session.scalar(select(Town).where(Town.name == "城关镇"))
    assert town is not None
    officer = repo.get_or_create_person(session, OFFICER.id, OFFICER.first_name)
    repo.grant_role(session, officer, Role.TOWN, town.id, datetime(2026, 12, 1, tzinfo=UTC))
    other_town = repo.get_or_create_town(session, town.county, "北山镇")
    other = repo.get_or_create_person(session, OTHER_OFFICER.id, OTHER_OFFICER.first_name)
    repo.grant_role(session, other, Role.TOWN, other_town.id, datetime(2026, 12, 1, tzinfo=UTC))


def _submit_all(harness: Harness) -> Any:
    def work(session: Session) -> dict[str, int]:
        ids = {}
        for name in ("东村党支部", "西村党支部"):
            branch_id = harness.seed.branches[name]
            assessment = repo.get_or_create_assessment(
                session, branch_id, harness.seed.cycle_id, harness.now
            )
            for item in RUBRIC.items_for("rural"):
                repo.set_answer(
                    session, assessment.id, item.id, "full", AnswerSource.SELF, None, harness.now
                )
            repo.submit_assessment(session, assessment.id, 5, None, harness.now)
            ids[name] = assessment.id
        return ids

    return work


async def reviewing(harness: Harness, branch_secretary: FakeUser) -> dict[str, int]:
    """Binds the secretary of 东村 (who sends one photo), submits 东村 and 西村, adds officers."""
    await harness.bind(branch_secretary)
    await harness.send(branch_secretary, "/assess")
    await harness.deliver(harness.updates.photo(branch_secretary, file_unique_id="photo-1"))
    await harness.database.run(_grant_officers)
    return await harness.database.run(_submit_all(harness))


async def assessment_row(harness: Harness, assessment_id: int) -> tuple[str, int]:
    """The state and version of an assessment."""

    def read(session: Session) -> tuple[str, int]:
        row = session.get(Assessment, assessment_id)
        assert row is not None
        return row.state, row.version

    return await harness.database.run(read)
