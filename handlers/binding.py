"""Binding: `/start <code>` from an invite link makes the user the secretary of a branch.

No callback-data kinds: binding happens through the deep link's `start` parameter only.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from handlers.context import Context
from handlers.uow import Work, run_unit_of_work
from storage.repositories.invites import (
    RedeemResult,
    recent_failed_attempts,
    record_bind_attempt,
    redeem_invite_for,
)
from storage.repositories.orgs import town_name
from storage.repositories.roles import secretary_branch

__all__ = [
    "ALL_FAILED_ALLOWED",
    "ALL_FAILED_WINDOW",
    "FAILED_ATTEMPTS_ALLOWED",
    "FAILED_ATTEMPTS_WINDOW",
    "start",
]

# Codes carry 128 random bits, so this is not what keeps guessers out; it keeps a script from
# hammering the database, and five honest typos in a quarter of an hour are plenty.
FAILED_ATTEMPTS_ALLOWED = 5
FAILED_ATTEMPTS_WINDOW = timedelta(minutes=15)
# Failed binds of everyone together: a script using many accounts is slowed down too. A
# county binding all its secretaries in one training session makes far fewer typos than this.
ALL_FAILED_ALLOWED = 30
ALL_FAILED_WINDOW = timedelta(minutes=1)


async def start(update: Update, context: Context) -> None:
    """Binds the user with the invite code after /start, or greets them by where they stand."""
    code = context.args[0] if context.args else None
    if code is None:
        await run_unit_of_work(update, context, greet)
    else:
        await run_unit_of_work(update, context, lambda work: bind(work, code))


def greet(work: Work) -> None:
    """Welcomes a bound secretary back, or explains how to get an invite."""
    branch = secretary_branch(work.session, work.telegram_id)
    if branch is None:
        work.say("binding.how_to_bind")
        return
    town = town_name(work.session, branch.town_id)
    work.say("binding.welcome_back", branch=branch.name, town=town)


def bind(work: Work, code: str) -> None:
    """Redeems the invite code once; every kind of refusal gets the same plain answer."""
    since = work.now - FAILED_ATTEMPTS_WINDOW
    if recent_failed_attempts(work.session, work.telegram_id, since) >= FAILED_ATTEMPTS_ALLOWED:
        minutes = int(FAILED_ATTEMPTS_WINDOW.total_seconds() // 60)
        work.say("binding.slow_down", minutes=minutes)
        return
    everyone_failed = recent_failed_attempts(work.session, None, work.now - ALL_FAILED_WINDOW)
    if everyone_failed >= ALL_FAILED_ALLOWED:
        work.say("binding.slow_down", minutes=int(ALL_FAILED_WINDOW.total_seconds() // 60))
        return
    user = work.update.effective_user
    display_name = user.full_name if user else None
    outcome = redeem_invite_for(
        work.session, code.strip(), work.telegram_id, display_name, work.now
    )
    ok = outcome.result is not RedeemResult.REFUSED
    record_bind_attempt(work.session, work.telegram_id, ok, work.now)
    if outcome.branch is None:
        work.say("binding.refused")
    elif outcome.result is RedeemResult.ALREADY_YOURS:
        work.say("binding.already_bound", branch=outcome.branch.name)
    else:
        town = town_name(work.session, outcome.branch.town_id)
        work.say("binding.bound", branch=outcome.branch.name, town=town)
