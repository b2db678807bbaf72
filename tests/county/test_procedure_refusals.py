"""Every step refuses what the procedure does not allow, naming why, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import repositories as repo
from storage.database import Database
from storage.models import AuditEntry
from tests.review.seed import review_all, seed_town

SEVEN = ("甲", "乙", "丙", "丁", "戊", "己", "庚")
# Totals 100.00, 98.50, 97.00, 94.00, 85.00, 76.00, 73.00.
REVIEWS = {"甲": "100", "乙": "95", "丙": "90", "丁": "80", "戊": "50", "己": "20", "庚": "10"}
TOWN = ("--town", "温店镇", "--year", "2026")
COUNTY = ("--county", "城关县", "--year", "2026")
OPEN = ("publicity", "open", *TOWN, "--start", "2026-11-16", "--contact", "党建办")


def _seed(session: Session) -> None:
    review_all(session, seed_town(session, SEVEN), REVIEWS)
    other = repo.get_or_create_county(session, "河西县")
    repo.get_or_create_town(session, other, "河口镇")


def _refused(result: Any, message: str) -> None:
    assert (result.exit_code, message in result.output) == (2, True), result.output


def _audit_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_publicity_opens_only_on_finalised_levels_and_once(
    cli: Any, database: Database
) -> None:
    await database.run(_seed)

    _refused(cli(*OPEN), "no finalised level for 丁, 丙, 乙, 己, 庚, 戊, 甲")
    assert cli("finalize", *TOWN).exit_code == 0
    assert cli(*OPEN).exit_code == 0
    _refused(cli(*OPEN), "the 2026 publicity of this town is already open")
    _refused(cli("finalize", *TOWN), "the town's publicity has started: finalising is over")


async def test_a_period_reaching_an_unknown_year_is_refused_naming_it(
    cli: Any, database: Database
) -> None:
    await database.run(_seed)
    assert cli("finalize", *TOWN).exit_code == 0
    before = await database.run(_audit_count)

    result = cli("publicity", "open", *TOWN, "--start", "2026-12-28", "--contact", "党建办")

    _refused(result, "China's official schedule for 2027 is not known")
    assert await database.run(_audit_count) == before


async def test_the_county_approves_a_higher_share_before_publicity_and_finalising_uses_it(
    cli: Any, database: Database
) -> None:
    await database.run(_seed)
    quota = ("county", "quota", "--county", "城关县", *TOWN, "--share", "0.45")

    _refused(
        cli(
            "county",
            "quota",
            "--county",
            "河西县",
            *TOWN,
            "--share",
            "0.45",
            "--reference",
            "城组字〔2027〕3号",
            "--reason",
            "先进典型多",
        ),
        "温店镇 is not a town of 河西县",
    )
    assert cli(*quota, "--reference", "城组字〔2027〕3号", "--reason", "先进典型多").exit_code == 0
    finalized = json.loads(cli("finalize", *TOWN, "--json").output)
    assert finalized["limits"] == {"5": 3}
    assert cli(*OPEN).exit_code == 0
    _refused(
        cli(*quota, "--reference", "城组字〔2027〕4号", "--reason", "再调"),
        "温店镇's publicity has started: its levels are final",
    )


async def test_steps_out_of_order_are_refused(cli: Any, database: Database) -> None:
    await database.run(_seed)
    assert cli("finalize", *TOWN).exit_code == 0
    assert cli(*OPEN).exit_code == 0

    _refused(cli("spotcheck", *COUNTY), "publicity not yet over in 温店镇")
    _refused(cli("name", *TOWN), "naming follows the end of the publicity period")
    _refused(
        cli("county", "decide", *COUNTY, "--branch", "甲", "--approve", "--reason", "好"),
        "甲 is reviewed: the county decides recommendations",
    )
    assert cli("publicity", "close").exit_code == 0
    _refused(
        cli(
            "publicity",
            "object",
            *TOWN,
            "--branch",
            "丁",
            "--raised-by",
            "张某",
            "--content",
            "不实",
        ),
        "objections are recorded during the publicity period only",
    )
    _refused(
        cli(
            "county",
            "decide",
            *COUNTY,
            "--branch",
            "甲",
            "--approve",
            "--reject",
            "--reason",
            "好",
        ),
        "give exactly one of --approve and --reject",
    )
    _refused(
        cli(
            "county",
            "decide",
            "--county",
            "河西县",
            "--year",
            "2026",
            "--branch",
            "甲",
            "--reject",
            "--reason",
            "不实",
        ),
        "no assessment of '甲' in 河西县 2026",
    )
    drawn = json.loads(cli("spotcheck", *COUNTY, "--seed", "11", "--json").output)
    assert drawn["seed"] == 11
    _refused(cli("spotcheck", *COUNTY, "--seed", "12"), "the 2026 sample was drawn with seed 11")
    not_drawn = next(name for name in ("戊", "己", "庚") if name not in drawn["samples"]["3"])
    _refused(
        cli("county", "check", *COUNTY, "--branch", not_drawn, "--stars", "2", "--reason", "x"),
        f"{not_drawn} was not drawn for the 2026 check",
    )


async def test_each_level_is_sampled_on_its_own_rounded_up(cli: Any, database: Database) -> None:
    await database.run(_seed)
    assert cli("finalize", *TOWN).exit_code == 0
    assert cli(*OPEN).exit_code == 0
    assert cli("publicity", "close").exit_code == 0

    drawn = json.loads(cli("spotcheck", *COUNTY, "--seed", "2026", "--json").output)

    # Four stars: 丙 and 丁 (over the quota) and 戊; three stars: 己 and 庚. 15% of 3 and of 2,
    # rounded up, is one each.
    assert drawn == {"seed": 2026, "samples": {"3": ["己"], "4": ["丁"]}}


async def test_a_branch_named_before_the_spot_check_is_checked_and_named_again(
    cli: Any, database: Database
) -> None:
    await database.run(_seed)
    for step in (("finalize", *TOWN), OPEN, ("publicity", "close"), ("name", *TOWN)):
        assert cli(*step).exit_code == 0

    drawn = json.loads(cli("spotcheck", *COUNTY, "--seed", "2026", "--json").output)
    corrected = cli("county", "check", *COUNTY, "--branch", "丁", "--stars", "3", "--reason", "缺")

    assert drawn["samples"] == {"3": ["己"], "4": ["丁"]}
    assert corrected.exit_code == 0
    exported = json.loads(cli("export", *TOWN, "--json").output)
    finals = {row["branch"]: row["final_stars"] for row in exported}
    assert finals == {"甲": None, "乙": None, "丙": 4, "丁": 3, "戊": 4, "己": 3, "庚": 3}


async def test_once_publicity_opens_the_review_figures_are_closed(
    cli: Any, database: Database
) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    import pytest

    from scoring import default_rubric
    from storage.models import Assessment
    from storage.repositories.review import ReviewError, enter_review_score

    await database.run(_seed)
    assert cli("finalize", *TOWN).exit_code == 0
    assert cli(*OPEN).exit_code == 0

    def rescore(session: Session) -> None:
        assessment_id = session.scalars(select(Assessment.id)).first()
        assert assessment_id is not None
        enter_review_score(
            session,
            assessment_id,
            default_rubric(),
            None,
            datetime(2026, 11, 17, tzinfo=UTC),
            score=Decimal(60),
        )

    with pytest.raises(
        ReviewError, match="the town's publicity has started: the review is closed"
    ):
        await database.run(rescore)
