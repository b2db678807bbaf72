"""The town's publicity and naming in the bot, and the end of publicity periods on a schedule.

No callback-data kinds: commands only, for a person holding the `town` role on exactly one
town (re-checked at every command): `/publicity 联系方式` opens the town's publicity today for
the default number of working days; `/objection 党支部 提出人 内容` and `/resolve 编号 成立|不成立
理由` record objections and their outcome; `/name` names the town's results (统一命名).

An hourly job closes every publicity whose period has ended (`close_due_publicities`): four
stars and below become `town_decided`, five-star branches `recommended`, and the town's
officers are owed a notice that the delivery sweep sends. The periods live in the database, so
a restart, a missed hour or a second process changes nothing: the next run closes what is due,
and a period is closed once.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from telegram import Update
from telegram.ext import JobQueue

from handlers.catalogue import text
from handlers.context import Context
from handlers.uow import Work, run_unit_of_work
from storage.models import Assessment, Branch, Cycle, Objection, ObjectionOutcome, Role, Town
from storage.repositories import current_cycle, find_person
from storage.repositories.procedure import ProcedureError, granted_orgs
from storage.repositories.publicity import (
    close_due_publicities,
    name_cycle,
    open_publicity,
    raise_objection,
    resolve_objection,
)
from storage.working_days import CalendarError, publicity_end

__all__ = [
    "CLOSE_INTERVAL",
    "CLOSE_JOB_NAME",
    "DEFAULT_WORKING_DAYS",
    "close_publicities",
    "name_town",
    "object_to_branch",
    "open_town_publicity",
    "resolve_town_objection",
    "schedule_publicity_closing",
]

logger = logging.getLogger(__name__)

# A period ends at midnight Beijing time; an hour later at most, the county sees the list.
CLOSE_INTERVAL = timedelta(hours=1)
CLOSE_JOB_NAME = "close_publicities"
# The seed's publicity is five working days as a rule; other lengths go through the command line.
DEFAULT_WORKING_DAYS = 5


async def close_publicities(context: Context) -> None:
    """Closes the publicity periods that have ended (the repeating job)."""
    state = context.bot_data
    now = state.now()
    closed = await state.require_database().run(
        lambda session: close_due_publicities(session, now)
    )
    if closed:
        logger.info("closed %d publicity periods", closed)


def schedule_publicity_closing(job_queue: JobQueue[Any]) -> None:
    """Registers the hourly closing job; the first run is a minute after start-up."""
    job_queue.run_repeating(
        close_publicities, interval=CLOSE_INTERVAL, first=timedelta(minutes=1), name=CLOSE_JOB_NAME
    )


@dataclass(frozen=True)
class _TownOfficer:
    """The person holding the town role, their one town and its open cycle."""

    person_id: int
    town: Town
    cycle: Cycle


def _town_officer(work: Work) -> _TownOfficer | None:
    """The officer, checked on the database now; None after replying why not."""
    person = find_person(work.session, work.telegram_id)
    towns = granted_orgs(work.session, work.telegram_id, Role.TOWN)
    if person is None or not towns:
        work.say("review.not_reviewer")
        return None
    if len(towns) > 1:
        work.say("county.publicity.several_towns")
        return None
    town = work.session.get_one(Town, towns[0])
    cycle = current_cycle(work.session, town.id)
    if cycle is None:
        work.say("review.no_cycle", town=town.name)
        return None
    return _TownOfficer(person.id, town, cycle)


def _town_command(
    action: Callable[[Work, _TownOfficer], None],
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """Makes `action` a town officer's command: the role and the cycle are checked first."""

    def checked(work: Work) -> None:
        officer = _town_officer(work)
        if officer is not None:
            action(work, officer)

    async def handle(update: Update, context: Context) -> None:
        await run_unit_of_work(update, context, checked)

    handle.__doc__ = action.__doc__
    return handle


def _words(work: Work) -> list[str]:
    message = work.update.effective_message
    raw = unicodedata.normalize("NFKC", message.text or "") if message is not None else ""
    return raw.split()[1:]


@_town_command
def open_town_publicity(work: Work, officer: _TownOfficer) -> None:
    """Opens the town's publicity from today (/publicity 联系方式)."""
    contact = " ".join(_words(work))
    if not contact:
        work.say("county.publicity.usage")
        return
    zone = work.state.timezone
    try:
        period = publicity_end(work.now.astimezone(zone).date(), DEFAULT_WORKING_DAYS)
    except CalendarError:
        work.say("county.publicity.calendar_unknown")
        return
    try:
        open_publicity(
            work.session, officer.cycle, period, zone, contact, officer.person_id, work.now
        )
    except ProcedureError:
        work.say("county.publicity.cannot_open")
        return
    calendars = text("review.list_separator").join(
        text("county.publicity.calendar", year=year, source=text(f"county.calendar.{source}"))
        for year, source in sorted(period.calendars.items())
    )
    work.say(
        "county.publicity.opened",
        town=officer.town.name,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        days=DEFAULT_WORKING_DAYS,
        calendars=calendars,
    )


@_town_command
def object_to_branch(work: Work, officer: _TownOfficer) -> None:
    """Records an objection against a branch (/objection 党支部 提出人 内容)."""
    words = _words(work)
    branch = (
        work.session.scalar(
            select(Branch).where(Branch.town_id == officer.town.id, Branch.name == words[0])
        )
        if len(words) >= 3
        else None
    )
    if branch is None:
        work.say("county.objection.usage")
        return
    try:
        objection = raise_objection(
            work.session,
            officer.cycle,
            branch,
            words[1],
            " ".join(words[2:]),
            officer.person_id,
            work.now,
        )
    except ProcedureError:
        work.say("county.objection.not_now")
        return
    work.say("county.objection.recorded", number=objection.id, branch=branch.name)


@_town_command
def resolve_town_objection(work: Work, officer: _TownOfficer) -> None:
    """Records an objection's outcome (/resolve 编号 成立|不成立 理由)."""
    words = _words(work)
    # How the officer writes an outcome: the catalogue's word for upheld or for dismissed.
    outcomes = {text(f"county.objection.word.{o.value}"): o for o in ObjectionOutcome}
    if len(words) < 3 or not words[0].isdigit() or words[1] not in outcomes:
        work.say("county.objection.resolve_usage")
        return
    objection_id = int(words[0])
    if _objection_town(work, objection_id) != officer.town.id:
        work.say("county.objection.unknown", number=objection_id)
        return
    outcome = outcomes[words[1]]
    try:
        resolve_objection(
            work.session, objection_id, outcome, " ".join(words[2:]), officer.person_id, work.now
        )
    except ProcedureError:
        work.say("county.objection.not_now")
        return
    work.say(f"county.objection.{outcome.value}", number=objection_id)


def _objection_town(work: Work, objection_id: int) -> int | None:
    """The town an objection's branch belongs to, so an officer resolves only their own."""
    return work.session.scalar(
        select(Branch.town_id)
        .join(Assessment, Assessment.branch_id == Branch.id)
        .join(Objection, Objection.assessment_id == Assessment.id)
        .where(Objection.id == objection_id)
    )


@_town_command
def name_town(work: Work, officer: _TownOfficer) -> None:
    """Names the town's results once publicity has ended (/name)."""
    try:
        naming = name_cycle(work.session, officer.cycle, officer.person_id, work.now)
    except ProcedureError:
        work.say("county.naming.not_yet")
        return
    held = "".join(
        text("county.naming.held", branch=branch, why=text(f"county.naming.why.{why}"))
        for branch, why in naming.held
    )
    closed = text("county.naming.closed" if naming.cycle_closed else "county.naming.open")
    work.say(
        "county.naming.done",
        town=officer.town.name,
        named=len(naming.named),
        held=held,
        closed=closed,
    )
