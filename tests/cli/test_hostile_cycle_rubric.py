"""`pingxing cycle open --rubric` refuses a hostile rubric file as `rubric check` does."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from scoring import default_rubric_text
from tests.hostile_inputs import alias_bomb

SAMPLE = Path(__file__).parents[2] / "samples" / "org.csv"


def test_cycle_open_refuses_an_alias_bomb_and_opens_nothing(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PINGXING_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    rubric = tmp_path / "bomb.yaml"
    rubric.write_text(
        default_rubric_text().replace("name: ", alias_bomb() + "old_name: ", 1), encoding="utf-8"
    )
    runner.invoke(app, ["org", "import", str(SAMPLE)])
    opened = runner.invoke(
        app,
        [
            *("cycle", "open", "--town", "温店镇", "--year", "2026"),
            *("--deadline", "2026-12-31", "--rubric", str(rubric)),
        ],
    )
    listed = runner.invoke(app, ["cycle", "list"])
    assert (opened.exit_code, opened.stdout, listed.stdout) == (2, "", "")
    assert opened.stderr.splitlines() == [
        f"{rubric}: name.e[0][2][0][6][7]: aliases expand to more than 10000 values: write it out"
    ]
