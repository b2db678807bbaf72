"""The named result (统一命名) sent to a secretary, and where the points were lost.

Callback-data kind handled here: LOST_POINTS (read only: the item-by-item list of points lost,
from the result message's button).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session
from telegram import InlineKeyboardMarkup, Update

from handlers.callbacks import Kind, make_marker
from handlers.cards import Screen, button, format_points
from handlers.catalogue import text
from handlers.context import Context
from handlers.outbox import OutgoingMessage
from handlers.sitting import decode_press
from handlers.summary import split_message
from handlers.uow import AnswerQuery, SendMessage, Work, run_unit_of_work
from scoring import Rubric
from storage.models import Assessment, AssessmentState, Branch, Cycle, Delivery
from storage.repositories.cycles import cycle_rubric
from storage.repositories.results import final_score, last_year_stars
from storage.repositories.roles import secretaries_of_town, secretary_branch

__all__ = ["render_result", "show_lost_points"]


def _level_label(rubric: Rubric, stars: int | None) -> str:
    """The rubric's name of a star level, or a plain fallback for a level it lacks."""
    if stars is None:
        return text("results.unrated")
    for level in rubric.levels:
        if level.stars == stars:
            return level.label
    return text("results.stars_fallback", stars=stars)


def _follow(rubric: Rubric, stars: int) -> str:
    """What follows from the level, in the seed's words."""
    if stars >= 5:
        return text("results.follow.five")
    if stars >= 3:
        return text("results.follow.three_four", level=_level_label(rubric, stars))
    return text("results.follow.two_or_below")


def _figure(value: Decimal | None) -> str:
    return text("results.no_figure") if value is None else format_points(value)


def render_result(session: Session, delivery: Delivery, now: datetime) -> OutgoingMessage | None:
    """The result: the level, the total and its four parts, what follows, last year's level."""
    assessment = session.get(Assessment, delivery.payload.get("assessment_id"))
    if assessment is None or assessment.state != AssessmentState.NAMED:
        return None
    if assessment.final_stars is None:
        return None
    cycle = session.get_one(Cycle, assessment.cycle_id)
    branch = session.get_one(Branch, assessment.branch_id)
    # Only to a secretary still bound to the branch: one replaced since the naming is not.
    if delivery.recipient_telegram_id not in secretaries_of_town(session, branch.town_id).get(
        branch.id, []
    ):
        return None
    rubric = cycle_rubric(cycle)
    result = final_score(session, assessment)
    stars = assessment.final_stars
    last_year = last_year_stars(session, branch, cycle.year)
    body = text(
        "results.result",
        branch=branch.name,
        year=cycle.year,
        level=_level_label(rubric, stars),
        total=_figure(assessment.final_total),
        basic=format_points(result.basic_100),
        bonus=format_points(result.bonus),
        deduction=format_points(result.deduction),
        review=_figure(result.review),
        assessment_weight=format_points(rubric.weights.assessment * 100),
        review_weight=format_points(rubric.weights.review * 100),
        follow=_follow(rubric, stars),
        last_year=""
        if last_year is None
        else text("results.last_year", level=_level_label(rubric, last_year)),
    )
    marker = make_marker(assessment.version, cycle.rubric_sha256)
    keyboard = InlineKeyboardMarkup(
        [[button(text("results.lost_button"), Kind.LOST_POINTS, assessment.id, marker)]]
    )
    return OutgoingMessage(body, keyboard)


async def show_lost_points(update: Update, context: Context) -> None:
    """Lists item by item where the named result lost points."""
    await run_unit_of_work(update, context, _show_lost_points)


def _show_lost_points(work: Work) -> None:
    data = decode_press(work)
    if data is None:
        return
    assessment = work.session.get(Assessment, data.assessment_id)
    branch = secretary_branch(work.session, work.telegram_id)
    if assessment is None or branch is None or branch.id != assessment.branch_id:
        work.refuse()
        return
    if assessment.state != AssessmentState.NAMED:
        work.reply(AnswerQuery(text("results.not_named"), alert=True))
        return
    cycle = work.session.get_one(Cycle, assessment.cycle_id)
    rubric = cycle_rubric(cycle)
    result = final_score(work.session, assessment)
    lost = sum((missing.lost for missing in result.missing), Decimal(0))
    lines = [
        text("results.lost_heading", branch=branch.name, year=cycle.year, lost=format_points(lost))
    ]
    for missing in result.missing:
        item = rubric.item(missing.item_id)
        key = "results.lost_line" if missing.answered else "results.lost_unanswered"
        lines.append(
            text(
                key,
                area=rubric.area(item.area).title,
                item=item.text,
                lost=format_points(missing.lost),
            )
        )
    if not result.missing:
        lines.append(text("results.lost_none"))
    for part in split_message(lines):
        work.reply(SendMessage(work.chat_id, Screen(part)))
