"""Invites: single-use codes that bind a secretary to a branch.

Only the SHA-256 of a code is stored, so a copy of the database cannot be used to bind. Codes
come from `secrets` with 128 bits of randomness, so guessing is hopeless; bind attempts are still
recorded so a handler can slow down someone who keeps trying.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import BindAttempt, Branch, Invite, Person, Role
from storage.repositories.audit import record_audit
from storage.repositories.people import get_or_create_person
from storage.repositories.roles import grant_role

__all__ = [
    "RedeemOutcome",
    "RedeemResult",
    "create_invite",
    "hash_invite_code",
    "recent_failed_attempts",
    "record_bind_attempt",
    "redeem_invite",
    "redeem_invite_for",
]

# 16 random bytes become 22 URL-safe characters: fits Telegram's deep-link `start` parameter
# (A-Z, a-z, 0-9, _ and -, at most 64 characters).
CODE_BYTES = 16
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class RedeemResult(StrEnum):
    """What redeeming a code did."""

    BOUND = "bound"
    ALREADY_YOURS = "already_yours"
    REFUSED = "refused"


@dataclass(frozen=True)
class RedeemOutcome:
    """The result of `redeem_invite`; `branch` is None when refused.

    `reason` (unknown, used, expired, malformed) is for logs: users get one message for all, so
    the answer does not tell a guesser which codes exist.
    """

    result: RedeemResult
    branch: Branch | None = None
    reason: str | None = None


def hash_invite_code(code: str) -> str:
    """Returns the hex SHA-256 under which a code is stored."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def create_invite(session: Session, branch_id: int, expires_at: datetime, now: datetime) -> str:
    """Stores a fresh invite for the branch and returns its plain code (shown once)."""
    code = secrets.token_urlsafe(CODE_BYTES)
    session.add(
        Invite(
            code_hash=hash_invite_code(code),
            branch_id=branch_id,
            expires_at=expires_at,
            created_at=now,
        )
    )
    session.flush()
    return code


def redeem_invite(session: Session, code: str, person: Person, now: datetime) -> RedeemOutcome:
    """Binds `person` to the invite's branch as its secretary, exactly once.

    The claim is one conditional `UPDATE ... RETURNING`: of two people redeeming the same code at
    the same moment, the database lets exactly one update the row. Binding also grants the
    secretary role and writes an audit entry.
    """
    if not CODE_PATTERN.fullmatch(code):
        return RedeemOutcome(RedeemResult.REFUSED, reason="malformed")
    code_hash = hash_invite_code(code)
    claimed = session.execute(
        update(Invite)
        .where(
            Invite.code_hash == code_hash,
            Invite.redeemed_by.is_(None),
            Invite.expires_at > now,
        )
        .values(redeemed_by=person.id, redeemed_at=now)
        .returning(Invite.id, Invite.branch_id)
        .execution_options(synchronize_session=False)
    )
    row = claimed.one_or_none()
    if row is None:
        return _explain_refusal(session, code_hash, person)
    invite_id, branch_id = row
    branch = session.get_one(Branch, branch_id)
    grant_role(session, person, Role.SECRETARY, branch.id, now)
    record_audit(
        session,
        person.id,
        "invite.redeem",
        "invite",
        invite_id,
        None,
        {"branch_id": branch.id, "telegram_id": person.telegram_id},
        None,
        now,
    )
    return RedeemOutcome(RedeemResult.BOUND, branch)


def _explain_refusal(session: Session, code_hash: str, person: Person) -> RedeemOutcome:
    """Tells a repeated press by the same person (already yours) from a real refusal."""
    invite = session.scalar(select(Invite).where(Invite.code_hash == code_hash))
    if invite is None:
        return RedeemOutcome(RedeemResult.REFUSED, reason="unknown")
    if invite.redeemed_by == person.id:
        branch = session.get_one(Branch, invite.branch_id)
        return RedeemOutcome(RedeemResult.ALREADY_YOURS, branch)
    reason = "used" if invite.redeemed_by is not None else "expired"
    return RedeemOutcome(RedeemResult.REFUSED, reason=reason)


def redeem_invite_for(
    session: Session, code: str, telegram_id: int, display_name: str | None, now: datetime
) -> RedeemOutcome:
    """Redeems `code` for a Telegram user, who becomes a person only if it binds them.

    The person row is written inside a savepoint that a refusal rolls back, so wrong guesses
    from any number of accounts leave nothing behind (the bind attempt is recorded apart).
    """
    savepoint = session.begin_nested()
    person = get_or_create_person(session, telegram_id, display_name)
    outcome = redeem_invite(session, code, person, now)
    if outcome.result is RedeemResult.REFUSED:
        savepoint.rollback()
    else:
        savepoint.commit()
    return outcome


def record_bind_attempt(session: Session, telegram_id: int, ok: bool, now: datetime) -> None:
    """Records one try at redeeming a code."""
    session.add(BindAttempt(telegram_id=telegram_id, at=now, ok=ok))


def recent_failed_attempts(session: Session, telegram_id: int | None, since: datetime) -> int:
    """Counts the failed tries since `since` of one user, or of everyone when `None`."""
    query = select(func.count()).where(BindAttempt.ok.is_(False), BindAttempt.at >= since)
    if telegram_id is not None:
        query = query.where(BindAttempt.telegram_id == telegram_id)
    return int(session.scalar(query) or 0)
