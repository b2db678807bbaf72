"""Role grants: who is the secretary of a branch, a reviewer of a town or of a county."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from storage.models import Branch, Person, Role, RoleGrant
from storage.repositories.audit import record_audit

__all__ = [
    "grant_role",
    "has_role",
    "list_roles",
    "revoke_role",
    "secretaries_of_town",
    "secretary_branch",
    "town_reviewers",
]


def grant_role(
    session: Session,
    person: Person,
    role: Role,
    org_id: int,
    now: datetime,
    granted_by: int | None = None,
) -> RoleGrant:
    """Grants `role` over `org_id` (a branch, town or county id); granting twice is a no-op.

    The grant is audited. A secretary serves one branch: binding to another branch revokes
    the old secretary grant, since `secretary_branch` must have one answer.
    """
    active = session.scalars(
        select(RoleGrant).where(
            RoleGrant.person_id == person.id,
            RoleGrant.role == role,
            RoleGrant.revoked_at.is_(None),
        )
    )
    for grant in active.all():
        if grant.org_id == org_id:
            return grant
        if role is Role.SECRETARY:
            revoke_role(session, person, role, grant.org_id, now, revoked_by=granted_by)
    grant = RoleGrant(
        person_id=person.id,
        person=person,
        role=role,
        org_id=org_id,
        granted_by=granted_by,
        granted_at=now,
    )
    session.add(grant)
    session.flush()
    record_audit(
        session,
        granted_by,
        "role.grant",
        "role_grant",
        grant.id,
        None,
        {"telegram_id": person.telegram_id, "role": role, "org_id": org_id},
        None,
        now,
    )
    return grant


def revoke_role(
    session: Session,
    person: Person,
    role: Role,
    org_id: int,
    now: datetime,
    revoked_by: int | None = None,
    reason: str | None = None,
) -> int:
    """Revokes the person's active grants of `role` over `org_id`; returns how many."""
    revoked = session.scalars(
        update(RoleGrant)
        .where(
            RoleGrant.person_id == person.id,
            RoleGrant.role == role,
            RoleGrant.org_id == org_id,
            RoleGrant.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_by=revoked_by)
        .returning(RoleGrant.id)
    )
    grant_ids = revoked.all()
    for grant_id in grant_ids:
        record_audit(
            session,
            revoked_by,
            "role.revoke",
            "role_grant",
            grant_id,
            {"telegram_id": person.telegram_id, "role": role, "org_id": org_id},
            None,
            reason,
            now,
        )
    return len(grant_ids)


def list_roles(
    session: Session,
    role: Role | None = None,
    org_id: int | None = None,
    include_revoked: bool = False,
) -> list[RoleGrant]:
    """Returns grants (active ones unless asked), each with its `person` loaded."""
    query = select(RoleGrant)
    if role is not None:
        query = query.where(RoleGrant.role == role)
    if org_id is not None:
        query = query.where(RoleGrant.org_id == org_id)
    if not include_revoked:
        query = query.where(RoleGrant.revoked_at.is_(None))
    query = query.order_by(RoleGrant.role, RoleGrant.org_id, RoleGrant.granted_at, RoleGrant.id)
    return list(session.scalars(query).unique().all())


def secretary_branch(session: Session, telegram_id: int) -> Branch | None:
    """Returns the branch this Telegram user is the active secretary of, in one query."""
    query = (
        select(Branch)
        .join(RoleGrant, RoleGrant.org_id == Branch.id)
        .join(Person, Person.id == RoleGrant.person_id)
        .where(
            Person.telegram_id == telegram_id,
            RoleGrant.role == Role.SECRETARY,
            RoleGrant.revoked_at.is_(None),
        )
        .order_by(RoleGrant.granted_at.desc())
        .limit(1)
    )
    return session.scalar(query)


def has_role(session: Session, telegram_id: int, role: Role, org_id: int) -> bool:
    """Says whether the Telegram user holds an active `role` over `org_id`, in one query."""
    query = select(
        exists().where(
            RoleGrant.person_id == Person.id,
            Person.telegram_id == telegram_id,
            RoleGrant.role == role,
            RoleGrant.org_id == org_id,
            RoleGrant.revoked_at.is_(None),
        )
    )
    return bool(session.scalar(query))


def secretaries_of_town(session: Session, town_id: int) -> dict[int, list[int]]:
    """Returns `{branch id: [Telegram ids of its active secretaries]}` for the town's branches."""
    rows = session.execute(
        select(Branch.id, Person.telegram_id)
        .join(RoleGrant, RoleGrant.org_id == Branch.id)
        .join(Person, Person.id == RoleGrant.person_id)
        .where(
            Branch.town_id == town_id,
            RoleGrant.role == Role.SECRETARY,
            RoleGrant.revoked_at.is_(None),
        )
        .order_by(Branch.id, Person.telegram_id)
    )
    bound: dict[int, list[int]] = {}
    for branch_id, telegram_id in rows:
        bound.setdefault(branch_id, []).append(telegram_id)
    return bound


def town_reviewers(session: Session, town_id: int) -> list[int]:
    """Returns the Telegram ids of the town's active reviewers (role `town`)."""
    return list(
        session.scalars(
            select(Person.telegram_id)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(
                RoleGrant.role == Role.TOWN,
                RoleGrant.org_id == town_id,
                RoleGrant.revoked_at.is_(None),
            )
            .order_by(Person.telegram_id)
        ).all()
    )
