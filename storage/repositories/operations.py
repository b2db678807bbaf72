"""What an operator watches: counts for `/metrics`, the schema's migration state for `/healthz`."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.engine import alembic_config
from storage.models import Delivery

__all__ = ["count_deliveries_by_state", "migration_heads", "ping"]


def ping(session: Session) -> None:
    """Runs the cheapest statement there is: raises if the database cannot answer."""
    session.execute(text("SELECT 1"))


def count_deliveries_by_state(session: Session) -> dict[str, int]:
    """How many deliveries are in each state (states with none are absent)."""
    rows = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
    return {state: count for state, count in rows}


def migration_heads(session: Session) -> tuple[frozenset[str], frozenset[str]]:
    """The revisions the database is at, and the heads this package's migrations end in."""
    current = MigrationContext.configure(session.connection()).get_current_heads()
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return frozenset(current), frozenset(heads)
