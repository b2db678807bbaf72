"""Submission (申报): pick the declared level, confirm, and the assessment locks.

Callback-data kinds handled here: SUBMIT (the level choice), DECLARE (the confirmation),
CONFIRM (the lock). After it, every writing press is refused until the town returns it.
The seed asks for a truthful declaration (实事求是申报): a level that a gate already blocks, or
that the provisional score cannot reach whatever the review, is confirmed only after a plain
warning.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from handlers.callbacks import CallbackData, Kind
from handlers.cards import Screen, back_row, basic_points, button, format_points
from handlers.catalogue import text
from handlers.feedback import score_sitting
from handlers.sitting import Sitting, on_press, say_locked, show_here
from handlers.uow import Work
from scoring import OUT_OF_REACH, Level
from storage.repositories import InvalidTransition, claims_of, submit_assessment

__all__ = ["ask_declared_level", "confirm_submission", "submit"]


@on_press()
def ask_declared_level(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Shows the progress and one button per star level to declare."""
    view = sitting.card_view()
    ident, marker = sitting.assessment.id, sitting.marker
    unanswered = len(sitting.items) - view.answered
    body = text(
        "submit.choose",
        answered=view.answered,
        total=len(sitting.items),
        basic=format_points(basic_points(sitting.rubric, sitting.items, view.answers)),
        basic_total=format_points(sitting.rubric.basic_total),
        unanswered_note=text("submit.unanswered_note", count=unanswered) if unanswered else "",
    )
    rows = [
        [button(level.label, Kind.DECLARE, ident, marker, level.stars)]
        for level in sitting.rubric.levels
    ]
    rows.append(back_row(view))
    show_here(work, sitting, Screen(body, InlineKeyboardMarkup(rows)))


def _declared_level(work: Work, sitting: Sitting, data: CallbackData) -> Level | None:
    """Returns the rubric's level the press declares, or refuses a level the rubric lacks."""
    stars = data.arg(0)
    for level in sitting.rubric.levels:
        if str(level.stars) == stars:
            return level
    work.refuse()
    return None


@on_press()
def confirm_submission(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Asks to confirm the declared level, since submitting locks the answers."""
    level = _declared_level(work, sitting, data)
    if level is None:
        return
    ident, marker = sitting.assessment.id, sitting.marker
    keyboard = InlineKeyboardMarkup(
        [
            [button(text("submit.confirm_button"), Kind.CONFIRM, ident, marker, level.stars)],
            [button(text("submit.back_button"), Kind.SUBMIT, ident, marker)],
        ]
    )
    warning = _unreachable_warning(work, sitting, level)
    if warning is None:
        body = text("submit.confirm", label=level.label)
    else:
        body = text("submit.confirm_warned", warning=warning, label=level.label)
    show_here(work, sitting, Screen(body, keyboard))


def _unreachable_warning(work: Work, sitting: Sitting, level: Level) -> str | None:
    """Says why the provisional score cannot reach the declared level; None when it can.

    The provisional score counts the answers and the declared claims as they stand; a level is
    out of reach when no review score would lift the total to it, or a gate blocks it.
    """
    claims = claims_of(work.session, sitting.assessment.id)
    provisional = score_sitting(sitting, claims).provisional
    if level.stars in provisional.gated:
        return text("submit.warning_gated", level=level.label)
    if provisional.needed_review.get(level.stars) == OUT_OF_REACH:
        return text("submit.warning_out_of_reach", level=level.label)
    return None


@on_press()
def submit(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Submits the self-assessment with the declared level and locks it."""
    level = _declared_level(work, sitting, data)
    if level is None:
        return
    try:
        submit_assessment(
            work.session, sitting.assessment.id, level.stars, sitting.person_id, work.now
        )
    except InvalidTransition:
        say_locked(work, sitting)
        return
    show_here(work, sitting, Screen(text("submit.submitted", label=level.label)))
