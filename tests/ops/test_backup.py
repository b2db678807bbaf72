"""`pingxing db backup` while the database is written to, and `pingxing db restore`."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.backup import BackupError, backup_sqlite


def file_of(sqlite_url: str) -> Path:
    """The file of a `sqlite+aiosqlite:///path` URL."""
    return Path(sqlite_url.split(":///", 1)[1])


def processed_ids(path: Path) -> list[int]:
    """The processed update ids in a database file, in order."""
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT update_id FROM processed_update ORDER BY update_id")
        return [update_id for (update_id,) in rows]


class Writer(threading.Thread):
    """Commits one processed update id after another, 1, 2, 3, ..., until stopped."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.stopped = threading.Event()
        self.written = 0

    def wait_for(self, count: int) -> None:
        """Returns once `count` ids are committed."""
        while self.written < count:
            time.sleep(0.001)

    def run(self) -> None:
        with closing(sqlite3.connect(self.path, timeout=10)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            while not self.stopped.is_set():
                with connection:
                    connection.execute(
                        "INSERT INTO processed_update (update_id, processed_at) "
                        "VALUES (?, '2026-12-01 02:00:00')",
                        (self.written + 1,),
                    )
                self.written += 1


def test_a_backup_taken_while_the_bot_writes_is_a_consistent_snapshot(
    sqlite_url: str, tmp_path: Path
) -> None:
    live = file_of(sqlite_url)
    writer = Writer(live)
    writer.start()
    try:
        writer.wait_for(200)
        result = CliRunner().invoke(
            app, ["db", "backup", str(tmp_path / "copy.sqlite3"), "--database-url", sqlite_url]
        )
    finally:
        writer.stopped.set()
        writer.join()

    assert result.exit_code == 0, result.output
    copied = processed_ids(tmp_path / "copy.sqlite3")
    # Every commit up to some instant, none after it and none torn: 1, 2, ..., n.
    assert copied == list(range(1, len(copied) + 1))
    assert 200 <= len(copied) <= writer.written
    with closing(sqlite3.connect(tmp_path / "copy.sqlite3")) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_restore_brings_back_exactly_what_the_backup_held(sqlite_url: str, tmp_path: Path) -> None:
    live = file_of(sqlite_url)
    writer = Writer(live)
    writer.start()
    writer.wait_for(50)
    writer.stopped.set()
    writer.join()
    backup_sqlite(live, tmp_path / "before.sqlite3")
    saved = processed_ids(tmp_path / "before.sqlite3")
    with closing(sqlite3.connect(live)) as connection, connection:
        connection.execute("DELETE FROM processed_update WHERE update_id > 10")

    result = CliRunner().invoke(
        app,
        ["db", "restore", str(tmp_path / "before.sqlite3"), "--yes", "--database-url", sqlite_url],
    )

    assert result.exit_code == 0, result.output
    assert processed_ids(live) == saved
    assert result.output.startswith(f"restored {live} from {tmp_path / 'before.sqlite3'}")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["db", "backup", "{tmp}/exists"], "{tmp}/exists already exists: choose a new file name"),
        (["db", "restore", "{tmp}/nothing", "--yes"], "no backup file at {tmp}/nothing"),
        (["db", "restore", "{tmp}/exists", "--yes"], "{tmp}/exists is not a pingxing SQLite"),
        # Without --yes the file is checked before the question is asked.
        (["db", "restore", "{tmp}/nothing"], "no backup file at {tmp}/nothing"),
        (["db", "restore", "{tmp}/exists"], "{tmp}/exists is not a pingxing SQLite"),
        (
            ["db", "backup", "{tmp}/x", "--database-url", "postgresql+asyncpg://h/pingxing"],
            "this database is not SQLite: back PostgreSQL up with pg_dump",
        ),
    ],
    ids=[
        "backup-over-a-file",
        "restore-missing",
        "restore-not-a-database",
        "restore-missing-unasked",
        "restore-not-a-database-unasked",
        "postgresql",
    ],
)
def test_bad_backup_and_restore_requests_exit_2_and_change_nothing(
    sqlite_url: str, tmp_path: Path, args: list[str], expected: str
) -> None:
    (tmp_path / "exists").write_text("not a database")
    before = processed_ids(file_of(sqlite_url))
    if "--database-url" not in args:
        args = [*args, "--database-url", sqlite_url]

    result = CliRunner().invoke(app, [arg.format(tmp=tmp_path) for arg in args])

    assert result.exit_code == 2
    assert expected.format(tmp=tmp_path) in result.output
    assert (tmp_path / "exists").read_text() == "not a database"
    assert processed_ids(file_of(sqlite_url)) == before


def test_backup_refuses_a_missing_source(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no database file at"):
        backup_sqlite(tmp_path / "none.sqlite3", tmp_path / "copy.sqlite3")
