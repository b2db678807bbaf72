"""`pingxing demo`: the real bot offline, driven by a script of typed lines."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from bot.offline.demo import run_demo
from handlers.catalogue import text


def run_script(database: Path, lines: list[str] | None) -> tuple[int, str]:
    """Runs the demo on `database` with `lines` as its input (None: no stdin at all)."""
    stream = None if lines is None else io.StringIO("".join(f"{line}\n" for line in lines))
    output = io.StringIO()
    status = run_demo(str(database), input_stream=stream, output=output)
    return status, output.getvalue()


def card_numbers(transcript: str) -> list[int]:
    """Every item number ("第 n/38 项") the transcript shows, in order."""
    return [int(number) for number in re.findall(r"第 (\d+)/\d+ 项", transcript)]


def test_a_script_binds_answers_opens_the_summary_and_ends_at_end_of_input(
    tmp_path: Path,
) -> None:
    status, transcript = run_script(tmp_path / "demo.sqlite3", ["1", "1", "2", "8"])

    assert status == 0
    assert text("demo.you", text="/start") in transcript  # the invite code follows it
    assert card_numbers(transcript) == [1, 2, 3, 4]
    assert text("demo.you_press", number=1, label="完全做到") in transcript
    assert text("summary.title", category="农村党支部") in transcript
    assert text("summary.progress", answered=3, total=38, evidence=0) in transcript
    assert transcript.rstrip().endswith(text("demo.bye"))


def test_the_summary_chart_is_shown_as_a_picture_saved_beside_the_database(
    tmp_path: Path,
) -> None:
    _, transcript = run_script(tmp_path / "demo.sqlite3", ["8"])

    saved = tmp_path / "demo-photos" / "001.png"
    assert text("demo.photo_uncaptioned", path=saved) in transcript
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_buttons_are_numbered_one_keyboard_row_per_line(tmp_path: Path) -> None:
    _, transcript = run_script(tmp_path / "demo.sqlite3", [])

    first_row = "  " + "  ".join(
        text("demo.button", number=number, label=label)
        for number, label in enumerate(["完全做到", "基本做到", "未做到"], start=1)
    )
    assert first_row in transcript.splitlines()


def test_no_input_at_all_still_shows_the_first_screens_and_exits_0(tmp_path: Path) -> None:
    status, transcript = run_script(tmp_path / "demo.sqlite3", None)

    assert (status, card_numbers(transcript)) == (0, [1])
    assert transcript.rstrip().endswith(text("demo.bye"))


def test_a_second_run_resumes_at_the_same_item_without_a_new_invite(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    run_script(database, ["1", "3"])

    status, transcript = run_script(database, [])

    assert status == 0
    assert text("demo.resumed", name="演示书记", branch="东风村党支部") in transcript
    assert "/start" not in transcript
    assert card_numbers(transcript) == [3]


def test_a_number_without_a_button_is_explained_and_changes_nothing(tmp_path: Path) -> None:
    _, transcript = run_script(tmp_path / "demo.sqlite3", ["99", "1"])

    assert text("demo.no_such_button", number=99, count=10) in transcript
    assert card_numbers(transcript) == [1, 2]


def test_a_sample_photo_is_attached_to_the_current_item(tmp_path: Path) -> None:
    _, transcript = run_script(tmp_path / "demo.sqlite3", [":photo"])

    assert text("demo.you_attach", what=text("demo.attach_photo")) in transcript
    assert text("evidence.added", number=1, count=1) in transcript


def test_make_run_without_stdin_exits_0(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-m", "bot", "demo"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": ""},
    )

    assert (completed.returncode, completed.stderr) == (0, "")
    assert card_numbers(completed.stdout) == [1]
    assert (tmp_path / "pingxing-demo.sqlite3").exists()


def test_tomorrow_brings_the_reminders_and_then_the_overdue_notice(tmp_path: Path) -> None:
    _, transcript = run_script(
        tmp_path / "demo.sqlite3", [":tomorrow", "1", ":tomorrow", ":tomorrow", ":tomorrow"]
    )

    reminders = re.findall(r"（(还剩 \d+ 天|今天截止)）\n进度：已答 0/38 项", transcript)
    assert reminders == ["还剩 1 天", "今天截止"]
    assert text("demo.you_press", number=1, label="继续自评") in transcript
    assert card_numbers(transcript) == [1, 1]  # /assess, then the card 继续自评 opened
    assert transcript.count("本支部尚未申报（已答 0/38 项）") == 1
    assert transcript.count(text("demo.nothing_due")) == 1  # the fourth day owes nothing


def test_the_demo_as_town_opens_the_review_and_resumes_on_a_second_run(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    output = io.StringIO()
    status = run_demo(
        str(database), input_stream=io.StringIO("1\n1\n"), output=output, role="town"
    )
    transcript = output.getvalue()
    again = io.StringIO()
    run_demo(str(database), input_stream=io.StringIO(""), output=again, role="town")

    assert status == 0
    assert text("demo.seeded_review", town="示例镇", name="演示组织委员") in transcript
    assert "年度评星定级 · 镇党委考评\n待考评 4，已考评 0" in transcript
    assert "东风村党支部（农村党支部）" in transcript  # the first branch's page
    assert text("demo.seeded_review", town="示例镇", name="演示组织委员") not in again.getvalue()
    assert "待考评 4" in again.getvalue()
