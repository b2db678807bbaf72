"""The audit trail: every change after submission, with who, when, old, new and why."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEntry

__all__ = ["audit_trail", "jsonable", "record_audit"]


def jsonable(value: Any) -> Any:
    """Turns decimals, instants and enums into JSON values that keep them exactly.

    Decimals become strings: a JSON number would come back as a float.
    """
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def record_audit(
    session: Session,
    actor_id: int | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    reason: str | None,
    now: datetime,
) -> AuditEntry:
    """Adds an audit entry (flushed with the caller's next statement, in its transaction).

    Args:
        actor_id: the person who acted; None for the command line.
        action: a dotted verb such as `assessment.submit` or `role.grant`.
    """
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        old=jsonable(old) if old is not None else None,
        new=jsonable(new) if new is not None else None,
        reason=reason,
        at=now,
    )
    session.add(entry)
    return entry


def audit_trail(
    session: Session, entity_type: str, entity_id: int | None = None
) -> list[AuditEntry]:
    """Returns the entries about one entity (or a whole entity type), oldest first."""
    query = select(AuditEntry).where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    return list(session.scalars(query.order_by(AuditEntry.at, AuditEntry.id)).all())
