"""Invites bind exactly once; roles say who may act for which organisation."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import repositories as repo
from storage.database import create_database
from storage.models import AuditEntry, Invite, Role
from tests.storage.seed import NOW, seed_branch, seed_town

LATER = NOW + timedelta(days=14)


async def test_an_invite_code_is_url_safe_random_and_stored_only_hashed(database) -> None:
    def first_transaction(session: Session) -> Any:
        branch = seed_branch(session)
        codes = [repo.create_invite(session, branch.id, LATER, NOW) for _ in range(20)]
        stored = (session.scalars(select(Invite.code_hash))).all()
        return codes, stored

    codes, stored = await database.run(first_transaction)
    assert len(set(codes)) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22,64}", code) for code in codes)
    assert sorted(stored) == sorted(repo.hash_invite_code(code) for code in codes)
    assert not set(codes) & set(stored)


async def test_redeeming_binds_the_secretary_and_audits_it(database) -> None:
    def first_transaction(session: Session) -> Any:
        branch = seed_branch(session)
        code = repo.create_invite(session, branch.id, LATER, NOW)
        return branch, code

    branch, code = await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        person = repo.get_or_create_person(session, 1001, "王书记")
        outcome = repo.redeem_invite(session, code, person, NOW)
        return outcome

    outcome = await database.run(second_transaction)

    def third_transaction(session: Session) -> Any:
        bound = repo.secretary_branch(session, 1001)
        is_secretary = repo.has_role(session, 1001, Role.SECRETARY, branch.id)
        actions = (session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        return bound, is_secretary, actions

    bound, is_secretary, actions = await database.run(third_transaction)
    assert (outcome.result, outcome.branch.id) == (repo.RedeemResult.BOUND, branch.id)
    assert (bound.id, is_secretary) == (branch.id, True)
    assert actions == ["role.grant", "invite.redeem"]


@pytest.mark.parametrize(
    ("second_user", "expected"),
    [(1001, repo.RedeemResult.ALREADY_YOURS), (2002, repo.RedeemResult.REFUSED)],
)
async def test_a_used_code_is_yours_again_or_refused(database, second_user, expected) -> None:
    def first_transaction(session: Session) -> Any:
        branch = seed_branch(session)
        code = repo.create_invite(session, branch.id, LATER, NOW)
        first = repo.get_or_create_person(session, 1001)
        repo.redeem_invite(session, code, first, NOW)
        return code

    code = await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        second = repo.get_or_create_person(session, second_user)
        outcome = repo.redeem_invite(session, code, second, NOW)
        return outcome

    outcome = await database.run(second_transaction)
    assert outcome.result == expected


@pytest.mark.parametrize(
    ("code_of", "at", "reason"),
    [
        ("real", LATER, "expired"),
        ("real", LATER + timedelta(seconds=1), "expired"),
        ("unknown", NOW, "unknown"),
        ("malformed", NOW, "malformed"),
    ],
)
async def test_expired_unknown_and_malformed_codes_are_refused(
    database, code_of, at, reason
) -> None:
    def first_transaction(session: Session) -> Any:
        branch = seed_branch(session)
        code = repo.create_invite(session, branch.id, LATER, NOW)
        person = repo.get_or_create_person(session, 1001)
        given = {"real": code, "unknown": "A" * 22, "malformed": "不是邀请码"}[code_of]
        outcome = repo.redeem_invite(session, given, person, at)
        bound = repo.secretary_branch(session, 1001)
        return outcome, bound

    outcome, bound = await database.run(first_transaction)
    assert (outcome.result, outcome.reason, bound) == (repo.RedeemResult.REFUSED, reason, None)


async def test_two_people_redeeming_one_code_at_the_same_moment_bind_exactly_one(
    database,
) -> None:
    def first_transaction(session: Session) -> Any:
        branch = seed_branch(session)
        code = repo.create_invite(session, branch.id, LATER, NOW)
        for telegram_id in range(1, 9):
            repo.get_or_create_person(session, telegram_id)
        return branch, code

    branch, code = await database.run(first_transaction)
    # On SQLite a second database on the same file redeems too: its own thread and connection
    # race the first in SQLite's lock, as a second process would. PostgreSQL's pool already
    # runs the transactions side by side.
    redeemers = [database]
    if database.dialect == "sqlite":
        redeemers.append(create_database(database.url))

    def redeem(telegram_id: int) -> Callable[[Session], repo.RedeemResult]:
        def second_transaction(session: Session) -> repo.RedeemResult:
            person = repo.get_or_create_person(session, telegram_id)
            return repo.redeem_invite(session, code, person, NOW).result

        return second_transaction

    try:
        results = await asyncio.gather(
            *(
                redeemers[telegram_id % len(redeemers)].run(redeem(telegram_id))
                for telegram_id in range(1, 9)
            )
        )
    finally:
        for other in redeemers[1:]:
            await other.dispose()
    secretaries = await database.run(
        lambda session: repo.list_roles(session, Role.SECRETARY, branch.id)
    )
    assert results.count(repo.RedeemResult.BOUND) == 1
    assert results.count(repo.RedeemResult.REFUSED) == 7
    assert len(secretaries) == 1


async def test_binding_to_another_branch_moves_the_secretary(database) -> None:
    def first_transaction(session: Session) -> Any:
        east = seed_branch(session, "东村党支部")
        west = seed_branch(session, "西村党支部")
        person = repo.get_or_create_person(session, 1001)
        for branch in (east, west):
            code = repo.create_invite(session, branch.id, LATER, NOW)
            repo.redeem_invite(session, code, person, NOW)
        bound = repo.secretary_branch(session, 1001)
        active = repo.list_roles(session, Role.SECRETARY)
        return west, bound, active

    west, bound, active = await database.run(first_transaction)
    assert (bound.id, [grant.org_id for grant in active]) == (west.id, [west.id])


async def test_granting_twice_keeps_one_grant_and_revoking_ends_it(database) -> None:
    def first_transaction(session: Session) -> Any:
        town = seed_town(session)
        person = repo.get_or_create_person(session, 3003, "组织委员")
        first = repo.grant_role(session, person, Role.TOWN, town.id, NOW)
        again = repo.grant_role(session, person, Role.TOWN, town.id, NOW)
        before = repo.has_role(session, 3003, Role.TOWN, town.id)
        revoked = repo.revoke_role(session, person, Role.TOWN, town.id, LATER)
        after = repo.has_role(session, 3003, Role.TOWN, town.id)
        history = repo.list_roles(session, Role.TOWN, include_revoked=True)
        return first, again, before, revoked, after, history

    first, again, before, revoked, after, history = await database.run(first_transaction)
    assert (first.id == again.id, before, revoked, after) == (True, True, 1, False)
    assert [(grant.person.telegram_id, grant.revoked_at) for grant in history] == [(3003, LATER)]


async def test_failed_bind_attempts_are_counted_since_a_moment(database) -> None:
    def first_transaction(session: Session) -> Any:
        for minutes, ok in [(-30, False), (-5, False), (-4, True), (-1, False)]:
            repo.record_bind_attempt(session, 1001, ok, NOW + timedelta(minutes=minutes))
        repo.record_bind_attempt(session, 2002, False, NOW)

    await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        recent = repo.recent_failed_attempts(session, 1001, NOW - timedelta(minutes=10))
        return recent

    recent = await database.run(second_transaction)
    assert recent == 2


async def test_a_new_display_name_replaces_the_old_and_none_keeps_it(database) -> None:
    def first_transaction(session: Session) -> Any:
        created = repo.get_or_create_person(session, 1001, "王书记")
        renamed = repo.get_or_create_person(session, 1001, "王建国")
        kept = repo.get_or_create_person(session, 1001)
        return created, renamed, kept

    created, renamed, kept = await database.run(first_transaction)
    assert (created.id, renamed.display_name, kept.display_name) == (
        renamed.id,
        "王建国",
        "王建国",
    )
