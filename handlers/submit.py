"""Submission (申报): pick the declared level, confirm, and the assessment locks.

Callback-data kinds handled here: SUBMIT (the level choice), DECLARE (the confirmation),
CONFIRM (the lock). After it, every writing press is refused until the town returns it.
"""

from __future__ import annotations

from decimal import Decimal

from telegram import InlineKeyboardMarkup, Update

from handlers.callbacks import Kind
from handlers.cards import Screen, back_row, basic_points, button, format_points
from handlers.catalogue import text
from handlers.context import Context
from handlers.sitting import Sitting, check_press, show_here
from handlers.uow import AnswerQuery, Work, run_unit_of_work
from storage.models import Assessment
from storage.repositories import InvalidTransition, submit_assessment

__all__ = ["ask_declared_level", "confirm_submission", "submit"]


async def ask_declared_level(update: Update, context: Context) -> None:
    """Shows the progress and one button per star level to declare."""
    await run_unit_of_work(update, context, _ask_declared_level)


def _ask_declared_level(work: Work) -> None:
    pressed = check_press(work)
    if pressed is None:
        return
    sitting = pressed[0]
    view = sitting.card_view(work)
    ident, marker = sitting.assessment.id, sitting.marker
    unanswered = len(sitting.items) - view.answered
    body = text(
        "submit.choose",
        answered=view.answered,
        total=len(sitting.items),
        basic=format_points(basic_points(sitting.rubric, sitting.items, view.answers)),
        basic_total=format_points(sum((item.points for item in sitting.items), Decimal(0))),
        unanswered_note=text("submit.unanswered_note", count=unanswered) if unanswered else "",
    )
    rows = [
        [button(level.label, Kind.DECLARE, ident, marker, level.stars)]
        for level in sitting.rubric.levels
    ]
    rows.append(back_row(view))
    show_here(work, sitting, Screen(body, InlineKeyboardMarkup(rows)))


def _declared_level(work: Work, sitting: Sitting, stars: str) -> str | None:
    """Returns the label of the declared level, or refuses a level the rubric lacks."""
    if stars.isdigit():
        for level in sitting.rubric.levels:
            if level.stars == int(stars):
                return level.label
    work.reply(AnswerQuery(text("common.refused"), alert=True))
    return None


async def confirm_submission(update: Update, context: Context) -> None:
    """Asks to confirm the declared level, since submitting locks the answers."""
    await run_unit_of_work(update, context, _confirm_submission)


def _confirm_submission(work: Work) -> None:
    pressed = check_press(work)
    if pressed is None:
        return
    sitting, data = pressed
    label = _declared_level(work, sitting, data.arg(0))
    if label is None:
        return
    ident, marker = sitting.assessment.id, sitting.marker
    keyboard = InlineKeyboardMarkup(
        [
            [button(text("submit.confirm_button"), Kind.CONFIRM, ident, marker, data.arg(0))],
            [button(text("submit.back_button"), Kind.SUBMIT, ident, marker)],
        ]
    )
    show_here(work, sitting, Screen(text("submit.confirm", label=label), keyboard))


async def submit(update: Update, context: Context) -> None:
    """Submits the self-assessment with the declared level and locks it."""
    await run_unit_of_work(update, context, _submit)


def _submit(work: Work) -> None:
    pressed = check_press(work)
    if pressed is None:
        return
    sitting, data = pressed
    label = _declared_level(work, sitting, data.arg(0))
    if label is None:
        return
    try:
        # The one press that needs the ORM row: submission audits the state it changes.
        assessment = work.session.get_one(Assessment, sitting.assessment.id)
        submit_assessment(work.session, assessment, int(data.arg(0)), sitting.person_id, work.now)
    except InvalidTransition:
        work.reply(AnswerQuery(text("common.locked"), alert=True))
        return
    show_here(work, sitting, Screen(text("submit.submitted", label=label)))
