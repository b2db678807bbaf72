"""Several offline webhook processes on one PostgreSQL database: the test's and the benchmark's.

`create_scratch_database` makes a PostgreSQL database of their own on a server (dropped by
`drop_scratch_database`); `open_seeded` migrates and seeds it; `Instances` starts
`bot.server.offline_instance` processes on free 127.0.0.1 ports (each the real Application on
its own offline Bot API, writing its calls to a file when it stops), posts updates to them as
Telegram would, and stops them with SIGTERM. Nothing here reaches beyond this machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session
from telegram import Update

from bot.server.webhook import SECRET_HEADER
from scoring import default_rubric_text
from storage.database import Database, open_database
from storage.repositories import (
    create_invite,
    get_or_create_county,
    get_or_create_town,
    open_cycle,
    upsert_branch,
)

__all__ = [
    "SECRET",
    "Instance",
    "Instances",
    "create_scratch_database",
    "drop_scratch_database",
    "open_seeded",
    "seed_branches",
]

SECRET = "several-instances-secret"
NOW = datetime.now(UTC)
# Far enough ahead that no reminder falls due on its own while the test runs.
DEADLINE = NOW + timedelta(days=60)


async def create_scratch_database(server_url: str) -> str:
    """Creates an empty database on the server of `server_url`; returns its URL."""
    name = f"pingxing_instances_{uuid.uuid4().hex[:12]}"
    await _run_outside_transactions(server_url, f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_scratch_database(server_url: str, url: str) -> None:
    """Drops a database made by `create_scratch_database`, closing what still uses it."""
    name = make_url(url).database
    await _run_outside_transactions(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _run_outside_transactions(server_url: str, statement: str) -> None:
    """Runs one statement that PostgreSQL refuses inside a transaction (CREATE DATABASE)."""
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await admin.dispose()


def seed_branches(session: Session, count: int) -> dict[str, str]:
    """A town with `count` rural branches, an open cycle and an invite each: {branch: code}."""
    county = get_or_create_county(session, "多实例县")
    town = get_or_create_town(session, county, "多实例镇")
    open_cycle(session, town, NOW.year, DEADLINE, default_rubric_text(), now=NOW)
    codes = {}
    for number in range(1, count + 1):
        branch, _ = upsert_branch(session, town, f"第{number}村党支部", "rural")
        codes[branch.name] = create_invite(session, branch.id, NOW + timedelta(days=30), NOW)
    return codes


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Instance:
    """One running process and where it listens and records."""

    port: int
    record: Path
    log: Path
    process: asyncio.subprocess.Process

    @property
    def hook(self) -> str:
        """The webhook URL it serves."""
        return f"http://127.0.0.1:{self.port}/hook"

    def calls(self) -> list[dict[str, Any]]:
        """The Bot API calls it made, read from its record after it stopped."""
        lines = self.record.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]


@dataclass
class Instances:
    """Several instances on one database, and an HTTP client that posts to them."""

    url: str
    directory: Path
    environment: dict[str, str] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)
    running: list[Instance] = field(default_factory=list)
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=60))

    async def start(self, count: int) -> None:
        """Starts `count` processes and waits until each answers /healthz with 200."""
        for number in range(count):
            port = free_port()
            log = self.directory / f"instance-{number}.log"
            environment = {
                **os.environ,
                **self.environment,
                "PINGXING_DATABASE_URL": self.url,
                "PINGXING_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
                "PINGXING_WEBHOOK_SECRET": SECRET,
                "PINGXING_LISTEN": f"127.0.0.1:{port}",
            }
            environment.pop("PINGXING_BOT_TOKEN", None)
            record = self.directory / f"instance-{number}.jsonl"
            with log.open("wb") as log_file:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot.server.offline_instance",
                    *self.options,
                    str(record),
                    env=environment,
                    stdout=log_file,
                    stderr=log_file,
                    cwd=self.directory,
                )
            self.running.append(Instance(port, record, log, process))
        for instance in self.running:
            await self._wait_healthy(instance)

    async def _wait_healthy(self, instance: Instance) -> None:
        for _ in range(600):
            if instance.process.returncode is not None:
                raise RuntimeError(f"instance exited: {instance.log.read_text()}")
            try:
                response = await self.client.get(f"http://127.0.0.1:{instance.port}/healthz")
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
        raise RuntimeError(f"instance on {instance.port} never became healthy")

    async def post(self, instance: Instance, update: Update) -> int:
        """Posts `update` to `instance`'s webhook as Telegram would; returns the status."""
        response = await self.client.post(
            instance.hook, content=update.to_json(), headers={SECRET_HEADER: SECRET}
        )
        return response.status_code

    async def stop(self) -> list[int]:
        """Sends SIGTERM to every instance and waits; returns their exit statuses."""
        for instance in self.running:
            if instance.process.returncode is None:
                instance.process.send_signal(signal.SIGTERM)
        statuses = [await instance.process.wait() for instance in self.running]
        await self.client.aclose()
        return statuses


async def open_seeded(url: str, branches: int) -> tuple[Database, dict[str, str]]:
    """Migrates the database at `url`, seeds it, and returns it open with the invite codes."""
    database = await open_database(url)
    codes = await database.run(lambda session: seed_branches(session, branches))
    return database, codes
