"""/county: a county officer's five-star recommendations, and the county's typed decisions.

Kinds (see `handlers.callbacks.Kind`): COUNTY_HOME carries a county id, COUNTY_BRANCH an
assessment id; both only read (marker "0"), and opening a branch makes it the officer's open
branch. The typed commands `/opinion`, `/approve` and `/reject` act on that branch. Every press
and every command looks the county up from the database and checks the person's `county` grant
on it again, so a town officer, another county's officer or forged data is refused and changes
nothing.
"""

from __future__ import annotations

import logging
import unicodedata

from sqlalchemy import func, select
from telegram import InlineKeyboardMarkup, Update

from handlers.callbacks import Kind
from handlers.cards import Screen, button
from handlers.catalogue import text
from handlers.context import Context
from handlers.review import decode_press, edit_here, refuse
from handlers.uow import SendMessage, Work, run_unit_of_work
from storage.models import (
    Assessment,
    County,
    CountyVerdict,
    Cycle,
    Role,
    Town,
)
from storage.repositories import cycle_rubric, find_person, has_role
from storage.repositories.county import (
    DISCIPLINE,
    CountyBranch,
    decide_recommendation,
    recommendation_view,
    recommendations,
    record_opinion,
)
from storage.repositories.procedure import ProcedureError, granted_orgs
from storage.repositories.review_focus import focus_of, set_focus

__all__ = [
    "approve_recommendation",
    "record_department_opinion",
    "reject_recommendation",
    "show_county",
    "show_recommendation",
    "start_county",
]

logger = logging.getLogger(__name__)

# County screens only read, so their buttons carry no version.
COUNTY_MARKER = "0"


def _is_county_officer(work: Work, county_id: int) -> bool:
    allowed = has_role(work.session, work.telegram_id, Role.COUNTY, county_id)
    if not allowed:
        logger.warning("user %s is no officer of county %s", work.telegram_id, county_id)
    return allowed


def _latest_year(work: Work, county_id: int) -> int | None:
    return work.session.scalar(
        select(func.max(Cycle.year))
        .join(Town, Town.id == Cycle.town_id)
        .where(Town.county_id == county_id)
    )


async def start_county(update: Update, context: Context) -> None:
    """Sends each county the officer re-checks its list of recommendations (/county)."""
    await run_unit_of_work(update, context, _start_county)


def _start_county(work: Work) -> None:
    county_ids = granted_orgs(work.session, work.telegram_id, Role.COUNTY)
    if not county_ids:
        work.say("county.not_county")
        return
    for county_id in county_ids:
        work.reply(SendMessage(work.chat_id, _county_screen(work, county_id)))


async def show_county(update: Update, context: Context) -> None:
    """Shows the county's recommendations again on the pressed message."""
    await run_unit_of_work(update, context, _show_county)


def _show_county(work: Work) -> None:
    data = decode_press(work)
    county = work.session.get(County, data.assessment_id) if data is not None else None
    if (
        data is None
        or county is None
        or data.marker != COUNTY_MARKER
        or not _is_county_officer(work, county.id)
    ):
        refuse(work)
        return
    edit_here(work, _county_screen(work, county.id))


def _county_screen(work: Work, county_id: int) -> Screen:
    """Counts by the county's decision, and one button per recommendation."""
    county = work.session.get_one(County, county_id)
    year = _latest_year(work, county_id)
    if year is None:
        return Screen(text("county.no_year", county=county.name))
    found = recommendations(work.session, county, year)
    states = [item.assessment.state for item in found]
    lines = [
        text(
            "county.home",
            county=county.name,
            year=year,
            total=len(found),
            pending=states.count("recommended"),
            approved=states.count("county_approved"),
            rejected=states.count("county_rejected"),
        )
    ]
    rows = []
    for item in found:
        label = text(
            "county.row",
            town=item.town.name,
            branch=item.branch.name,
            state=text(f"review.state.{item.assessment.state}"),
        )
        lines.append(label)
        rows.append([button(label, Kind.COUNTY_BRANCH, item.assessment.id, COUNTY_MARKER)])
    if not found:
        lines.append(text("county.home_empty"))
    rows.append([button(text("county.button.refresh"), Kind.COUNTY_HOME, county_id, "0")])
    return Screen("\n".join(lines), InlineKeyboardMarkup(rows))


async def show_recommendation(update: Update, context: Context) -> None:
    """Opens one recommendation: totals, opinions, the county's decision, what to type."""
    await run_unit_of_work(update, context, _show_recommendation)


def _show_recommendation(work: Work) -> None:
    data = decode_press(work)
    found = _branch(work, data.assessment_id) if data is not None else None
    if data is None or found is None or data.marker != COUNTY_MARKER:
        refuse(work)
        return
    person = find_person(work.session, work.telegram_id)
    assert person is not None  # the role check found the person
    set_focus(work.session, person.id, found.assessment.id, work.now)
    edit_here(work, _branch_screen(work, found))


def _branch(work: Work, assessment_id: int) -> CountyBranch | None:
    """The recommended branch behind `assessment_id`, if the person re-checks its county."""
    assessment = work.session.get(Assessment, assessment_id)
    cycle = work.session.get(Cycle, assessment.cycle_id) if assessment is not None else None
    town = work.session.get(Town, cycle.town_id) if cycle is not None else None
    if assessment is None or cycle is None or town is None:
        return None
    if not _is_county_officer(work, town.county_id):
        return None
    county = work.session.get_one(County, town.county_id)
    listed = recommendations(work.session, county, cycle.year)
    return next((item for item in listed if item.assessment.id == assessment_id), None)


def _branch_screen(work: Work, found: CountyBranch) -> Screen:
    view = recommendation_view(work.session, found)
    rubric = cycle_rubric(found.cycle)
    categories = {category.key: category.label for category in rubric.categories}
    decision = view.decision
    body = text(
        "county.branch",
        town=found.town.name,
        branch=found.branch.name,
        category=categories.get(found.branch.category, found.branch.category),
        total=view.total if view.total is not None else "-",
        level=rubric.level(view.reviewed_stars).label if view.reviewed_stars is not None else "-",
        evidence=view.evidence,
        opinions="\n".join(
            text("county.opinion_row", department=_department(o.department), opinion=o.opinion)
            for o in view.opinions
        )
        or text("county.no_opinions"),
        state=text(f"review.state.{found.assessment.state}"),
        decision=text(
            "county.decision",
            verdict=text(f"county.verdict.{decision.verdict}"),
            reason=decision.reason,
        )
        if decision is not None
        else text("county.no_decision"),
    )
    keyboard = InlineKeyboardMarkup(
        [[button(text("county.button.back"), Kind.COUNTY_HOME, found.town.county_id, "0")]]
    )
    return Screen(body + "\n" + text("county.how_to"), keyboard)


def _department(department: str) -> str:
    return text("county.department.discipline") if department == DISCIPLINE else department


# --- typed decisions on the open branch ------------------------------------------------------


def _focused(work: Work) -> CountyBranch | None:
    """The officer's open recommendation, re-checked; None after replying why not."""
    person = find_person(work.session, work.telegram_id)
    if person is None or not granted_orgs(work.session, work.telegram_id, Role.COUNTY):
        work.say("county.not_county")
        return None
    assessment_id = focus_of(work.session, person.id)
    found = _branch(work, assessment_id) if assessment_id is not None else None
    if found is None:
        work.say("county.no_focus")
    return found


def _words(work: Work) -> list[str]:
    message = work.update.effective_message
    raw = unicodedata.normalize("NFKC", message.text or "") if message is not None else ""
    return raw.split()[1:]


async def record_department_opinion(update: Update, context: Context) -> None:
    """Records a department's opinion on the open recommendation (/opinion 部门 意见)."""
    await run_unit_of_work(update, context, _record_opinion)


def _record_opinion(work: Work) -> None:
    found = _focused(work)
    if found is None:
        return
    words = _words(work)
    if len(words) < 2 or len(words[0]) > 100:
        work.say("county.usage_opinion")
        return
    department, opinion = words[0], " ".join(words[1:])
    person = find_person(work.session, work.telegram_id)
    assert person is not None
    record_opinion(work.session, found, department, opinion, person.id, work.now)
    work.say("county.recorded_opinion", department=_department(department))
    work.reply(SendMessage(work.chat_id, _branch_screen(work, found)))


async def approve_recommendation(update: Update, context: Context) -> None:
    """Approves five stars for the open recommendation (/approve 理由)."""
    await run_unit_of_work(update, context, lambda work: _decide(work, CountyVerdict.APPROVED))


async def reject_recommendation(update: Update, context: Context) -> None:
    """Rejects the open recommendation: four stars (/reject 理由)."""
    await run_unit_of_work(update, context, lambda work: _decide(work, CountyVerdict.REJECTED))


def _decide(work: Work, verdict: CountyVerdict) -> None:
    found = _focused(work)
    if found is None:
        return
    reason = " ".join(_words(work))
    if not reason:
        work.say("county.usage_decision")
        return
    person = find_person(work.session, work.telegram_id)
    assert person is not None
    try:
        changed = decide_recommendation(work.session, found, verdict, reason, person.id, work.now)
    except ProcedureError:
        # The one refusal a county officer can meet here: approving before the opinion.
        work.say("county.needs_discipline_opinion")
        return
    if not changed:
        work.say("county.unchanged")
        return
    work.say(f"county.{verdict.value}", branch=found.branch.name)
    work.reply(SendMessage(work.chat_id, _branch_screen(work, found)))
