"""Two demos on one file: the second one says so and exits non-zero, touching nothing."""

from __future__ import annotations

import fcntl
import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.offline.demo import EXIT_IN_USE, run_demo
from handlers.catalogue import text


def test_a_second_demo_on_the_same_file_says_so_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "demo.sqlite3"
    # Another process holds the lock: a child taking it and waiting for its stdin to close.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys; f = open(sys.argv[1], 'ab'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('locked', flush=True); sys.stdin.read()",
            f"{database}.lock",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        output = io.StringIO()

        status = run_demo(str(database), input_stream=None, output=output)
    finally:
        holder.communicate("")

    assert status == EXIT_IN_USE
    assert capsys.readouterr().err == text("demo.in_use", database=database) + "\n"
    assert output.getvalue() == ""
    assert not database.exists()


def test_the_demo_releases_its_lock_when_it_ends(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    assert run_demo(str(database), input_stream=None, output=io.StringIO()) == 0

    with open(f"{database}.lock", "ab") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held
