"""The self-assessment: /assess and the item card's buttons, one item at a time.

Callback-data kinds handled here: ANSWER, PREVIOUS, SKIP, GOTO (writes: they move the secretary)
and CONTENTS, AREA, CARD (read only).
"""

from __future__ import annotations

from telegram import Message, Update

from handlers.callbacks import CallbackData, Kind
from handlers.cards import render_area, render_card, render_contents
from handlers.catalogue import text
from handlers.context import Context
from handlers.sitting import (
    Sitting,
    load_sitting,
    on_press,
    say_locked,
    show_card_here,
    show_here,
)
from handlers.uow import AnswerQuery, SendMessage, Work, run_unit_of_work
from storage.repositories.assessments import set_card

__all__ = [
    "KINDS",
    "assess",
    "go_to_item",
    "record_answer",
    "show_area",
    "show_card",
    "show_contents",
    "show_previous",
    "skip_item",
]

KINDS = (Kind.ANSWER, Kind.PREVIOUS, Kind.SKIP, Kind.GOTO, Kind.CONTENTS, Kind.AREA, Kind.CARD)


async def assess(update: Update, context: Context) -> None:
    """Starts or resumes the self-assessment: sends the card of the current item."""
    await run_unit_of_work(update, context, _send_card)


def _send_card(work: Work) -> None:
    sitting = load_sitting(work, start=True)
    if sitting is None:
        return
    if not sitting.editable:
        say_locked(work, sitting)
        return
    screen = render_card(sitting.rubric, sitting.card_view())
    database = work.state.require_database()
    assessment_id = sitting.assessment.id

    async def remember_card(message: Message) -> None:
        # The new message becomes the card that evidence replies update.
        await database.run(
            lambda session: set_card(session, assessment_id, message.chat_id, message.message_id)
        )

    work.reply(SendMessage(work.chat_id, screen, on_sent=remember_card))


@on_press()
def record_answer(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Stores the chosen answer level of the current item and moves to the next item."""
    level_key = data.arg(1)
    known = level_key in {level.key for level in sitting.rubric.answer_levels}
    if not (sitting.shows_item(data.arg(0)) and known):
        work.refuse()
        return
    index = sitting.index
    sitting.record_answer(work, sitting.items[index].id, level_key)
    last = index + 1 >= len(sitting.items)
    sitting.move_to(work, index if last else index + 1)
    label = sitting.rubric.answer_level(level_key).label
    work.reply(AnswerQuery(text("assessment.saved", label=label)))
    show_card_here(work, sitting)


@on_press()
def show_previous(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Moves back one item."""
    _step(work, sitting, data, -1)


@on_press()
def skip_item(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Moves on one item without answering."""
    _step(work, sitting, data, +1)


def _step(work: Work, sitting: Sitting, data: CallbackData, delta: int) -> None:
    if not sitting.shows_item(data.arg(0)):
        work.refuse()
        return
    target = sitting.index + delta
    if not 0 <= target < len(sitting.items):
        work.reply(
            AnswerQuery(text("assessment.first_item" if delta < 0 else "assessment.last_item"))
        )
        return
    sitting.move_to(work, target)
    show_card_here(work, sitting)


@on_press()
def go_to_item(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Jumps to the item chosen in the contents."""
    number = data.arg(0)
    if not number.isdigit() or not 1 <= int(number) <= len(sitting.items):
        work.refuse()
        return
    sitting.move_to(work, int(number) - 1)
    show_card_here(work, sitting)


@on_press(writes=False)
def show_contents(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Shows the areas, each with how many of its items are answered."""
    show_here(work, sitting, render_contents(sitting.rubric, sitting.card_view()))


@on_press(writes=False)
def show_area(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Shows one area's items as buttons."""
    try:
        screen = render_area(sitting.rubric, sitting.card_view(), data.arg(0))
    except KeyError:
        work.refuse()
        return
    show_here(work, sitting, screen)


@on_press(writes=False)
def show_card(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Shows the current item again (back from the contents, a claim or the submit screen)."""
    show_card_here(work, sitting)
