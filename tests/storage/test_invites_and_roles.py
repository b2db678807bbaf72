"""Invites bind exactly once; roles say who may act for which organisation."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import repositories as repo
from storage.models import AuditEntry, Invite, Role
from tests.storage.seed import NOW, seed_branch, seed_town

LATER = NOW + timedelta(days=14)


async def test_an_invite_code_is_url_safe_random_and_stored_only_hashed(database) -> None:
    async with database.sessions.begin() as session:
        branch = await seed_branch(session)
        codes = [await repo.create_invite(session, branch.id, LATER, NOW) for _ in range(20)]
        stored = (await session.scalars(select(Invite.code_hash))).all()
    assert len(set(codes)) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22,64}", code) for code in codes)
    assert sorted(stored) == sorted(repo.hash_invite_code(code) for code in codes)
    assert not set(codes) & set(stored)


async def test_redeeming_binds_the_secretary_and_audits_it(database) -> None:
    async with database.sessions.begin() as session:
        branch = await seed_branch(session)
        code = await repo.create_invite(session, branch.id, LATER, NOW)
    async with database.sessions.begin() as session:
        person = await repo.get_or_create_person(session, 1001, "王书记")
        outcome = await repo.redeem_invite(session, code, person, NOW)
    async with database.sessions() as session:
        bound = await repo.secretary_branch(session, 1001)
        is_secretary = await repo.has_role(session, 1001, Role.SECRETARY, branch.id)
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert (outcome.result, outcome.branch.id) == (repo.RedeemResult.BOUND, branch.id)
    assert (bound.id, is_secretary) == (branch.id, True)
    assert actions == ["role.grant", "invite.redeem"]


@pytest.mark.parametrize(
    ("second_user", "expected"),
    [(1001, repo.RedeemResult.ALREADY_YOURS), (2002, repo.RedeemResult.REFUSED)],
)
async def test_a_used_code_is_yours_again_or_refused(database, second_user, expected) -> None:
    async with database.sessions.begin() as session:
        branch = await seed_branch(session)
        code = await repo.create_invite(session, branch.id, LATER, NOW)
        first = await repo.get_or_create_person(session, 1001)
        await repo.redeem_invite(session, code, first, NOW)
    async with database.sessions.begin() as session:
        second = await repo.get_or_create_person(session, second_user)
        outcome = await repo.redeem_invite(session, code, second, NOW)
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
    async with database.sessions.begin() as session:
        branch = await seed_branch(session)
        code = await repo.create_invite(session, branch.id, LATER, NOW)
        person = await repo.get_or_create_person(session, 1001)
        given = {"real": code, "unknown": "A" * 22, "malformed": "不是邀请码"}[code_of]
        outcome = await repo.redeem_invite(session, given, person, at)
        bound = await repo.secretary_branch(session, 1001)
    assert (outcome.result, outcome.reason, bound) == (repo.RedeemResult.REFUSED, reason, None)


async def test_two_people_redeeming_one_code_at_the_same_moment_bind_exactly_one(
    database,
) -> None:
    async with database.sessions.begin() as session:
        branch = await seed_branch(session)
        code = await repo.create_invite(session, branch.id, LATER, NOW)
        for telegram_id in range(1, 9):
            await repo.get_or_create_person(session, telegram_id)

    async def redeem(telegram_id: int) -> repo.RedeemResult:
        async with database.sessions.begin() as session:
            person = await repo.get_or_create_person(session, telegram_id)
            return (await repo.redeem_invite(session, code, person, NOW)).result

    results = await asyncio.gather(*(redeem(telegram_id) for telegram_id in range(1, 9)))
    async with database.sessions() as session:
        secretaries = await repo.list_roles(session, Role.SECRETARY, branch.id)
    assert results.count(repo.RedeemResult.BOUND) == 1
    assert results.count(repo.RedeemResult.REFUSED) == 7
    assert len(secretaries) == 1


async def test_binding_to_another_branch_moves_the_secretary(database) -> None:
    async with database.sessions.begin() as session:
        east = await seed_branch(session, "东村党支部")
        west = await seed_branch(session, "西村党支部")
        person = await repo.get_or_create_person(session, 1001)
        for branch in (east, west):
            code = await repo.create_invite(session, branch.id, LATER, NOW)
            await repo.redeem_invite(session, code, person, NOW)
        bound = await repo.secretary_branch(session, 1001)
        active = await repo.list_roles(session, Role.SECRETARY)
    assert (bound.id, [grant.org_id for grant in active]) == (west.id, [west.id])


async def test_granting_twice_keeps_one_grant_and_revoking_ends_it(database) -> None:
    async with database.sessions.begin() as session:
        town = await seed_town(session)
        person = await repo.get_or_create_person(session, 3003, "组织委员")
        first = await repo.grant_role(session, person, Role.TOWN, town.id, NOW)
        again = await repo.grant_role(session, person, Role.TOWN, town.id, NOW)
        before = await repo.has_role(session, 3003, Role.TOWN, town.id)
        revoked = await repo.revoke_role(session, person, Role.TOWN, town.id, LATER)
        after = await repo.has_role(session, 3003, Role.TOWN, town.id)
        history = await repo.list_roles(session, Role.TOWN, include_revoked=True)
    assert (first.id == again.id, before, revoked, after) == (True, True, 1, False)
    assert [(grant.person.telegram_id, grant.revoked_at) for grant in history] == [(3003, LATER)]


async def test_failed_bind_attempts_are_counted_since_a_moment(database) -> None:
    async with database.sessions.begin() as session:
        for minutes, ok in [(-30, False), (-5, False), (-4, True), (-1, False)]:
            await repo.record_bind_attempt(session, 1001, ok, NOW + timedelta(minutes=minutes))
        await repo.record_bind_attempt(session, 2002, False, NOW)
    async with database.sessions() as session:
        recent = await repo.recent_failed_attempts(session, 1001, NOW - timedelta(minutes=10))
    assert recent == 2


async def test_a_new_display_name_replaces_the_old_and_none_keeps_it(database) -> None:
    async with database.sessions.begin() as session:
        created = await repo.get_or_create_person(session, 1001, "王书记")
        renamed = await repo.get_or_create_person(session, 1001, "王建国")
        kept = await repo.get_or_create_person(session, 1001)
    assert (created.id, renamed.display_name, kept.display_name) == (
        renamed.id,
        "王建国",
        "王建国",
    )
