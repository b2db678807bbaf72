"""The SQLite file: private to its owner, and opened by either URL form."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.database import open_database
from storage.repositories import find_person, get_or_create_person


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_database_file_and_its_wal_and_shm_are_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pingxing.sqlite3"
    previous = os.umask(0o022)  # the usual umask, which would leave the file world-readable
    try:
        database = await open_database(f"sqlite:///{path}")
    finally:
        os.umask(previous)
    try:
        await database.run(lambda session: get_or_create_person(session, 42, "书记"))
        files = {
            name: mode_of(tmp_path / name)
            for name in ("pingxing.sqlite3", "pingxing.sqlite3-wal", "pingxing.sqlite3-shm")
        }
    finally:
        await database.dispose()

    assert files == {
        "pingxing.sqlite3": 0o600,
        "pingxing.sqlite3-wal": 0o600,
        "pingxing.sqlite3-shm": 0o600,
    }


@pytest.mark.parametrize("driver", ["sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"])
async def test_every_sqlite_url_form_opens_the_same_file(tmp_path: Path, driver: str) -> None:
    path = tmp_path / "shared.sqlite3"
    first = await open_database(f"sqlite:///{path}")
    try:
        await first.run(lambda session: get_or_create_person(session, 7, "书记"))
    finally:
        await first.dispose()

    second = await open_database(f"{driver}:///{path}")
    try:
        person = await second.run(lambda session: find_person(session, 7))
    finally:
        await second.dispose()

    assert person is not None and person.display_name == "书记"
