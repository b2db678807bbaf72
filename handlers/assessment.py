"""The self-assessment: /assess and the item card's buttons, one item at a time.

Callback-data kinds handled here: ANSWER, PREVIOUS, SKIP, GOTO (writes: they move the secretary)
and CONTENTS, AREA, CARD (read only).
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Message, Update

from handlers.callbacks import Kind
from handlers.cards import render_area, render_card, render_contents
from handlers.catalogue import text
from handlers.context import Context
from handlers.sitting import Sitting, check_press, load_sitting, show_card_here, show_here
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
        work.say("common.locked")
        return
    screen = render_card(sitting.rubric, sitting.card_view(work))
    database = work.state.require_database()
    assessment_id = sitting.assessment.id

    async def remember_card(message: Message) -> None:
        # The new message becomes the card that evidence replies update.
        await database.run(
            lambda session: set_card(session, assessment_id, message.chat_id, message.message_id)
        )

    work.reply(SendMessage(work.chat_id, screen, on_sent=remember_card))


def _pressed_index(work: Work, sitting: Sitting, number: str) -> int | None:
    """Checks that a press names the item the card shows; refuses (and returns None) if not."""
    if number.isdigit() and int(number) == sitting.index + 1:
        return sitting.index
    work.reply(AnswerQuery(text("common.refused"), alert=True))
    return None


async def record_answer(update: Update, context: Context) -> None:
    """Stores the chosen answer level of the current item and moves to the next item."""
    await run_unit_of_work(update, context, _record_answer)


def _record_answer(work: Work) -> None:
    pressed = check_press(work)
    if pressed is None:
        return
    sitting, data = pressed
    index = _pressed_index(work, sitting, data.arg(0))
    if index is None:
        return
    level_key = data.arg(1)
    if level_key not in {level.key for level in sitting.rubric.answer_levels}:
        work.reply(AnswerQuery(text("common.refused"), alert=True))
        return
    sitting.record_answer(work, sitting.items[index].id, level_key)
    last = index + 1 >= len(sitting.items)
    sitting.move_to(work, index if last else index + 1)
    label = sitting.rubric.answer_level(level_key).label
    work.reply(AnswerQuery(text("assessment.saved", label=label)))
    show_card_here(work, sitting)


async def show_previous(update: Update, context: Context) -> None:
    """Moves back one item."""
    await run_unit_of_work(update, context, lambda work: _step(work, -1))


async def skip_item(update: Update, context: Context) -> None:
    """Moves on one item without answering."""
    await run_unit_of_work(update, context, lambda work: _step(work, +1))


def _step(work: Work, delta: int) -> None:
    pressed = check_press(work)
    if pressed is None:
        return
    sitting, data = pressed
    index = _pressed_index(work, sitting, data.arg(0))
    if index is None:
        return
    target = index + delta
    if not 0 <= target < len(sitting.items):
        work.reply(
            AnswerQuery(text("assessment.first_item" if delta < 0 else "assessment.last_item"))
        )
        return
    sitting.move_to(work, target)
    show_card_here(work, sitting)


async def go_to_item(update: Update, context: Context) -> None:
    """Jumps to the item chosen in the contents."""
    await run_unit_of_work(update, context, _go_to_item)


def _go_to_item(work: Work) -> None:
    pressed = check_press(work)
    if pressed is None:
        return
    sitting, data = pressed
    number = data.arg(0)
    if not number.isdigit() or not 1 <= int(number) <= len(sitting.items):
        work.reply(AnswerQuery(text("common.refused"), alert=True))
        return
    sitting.move_to(work, int(number) - 1)
    show_card_here(work, sitting)


async def show_contents(update: Update, context: Context) -> None:
    """Shows the areas, each with how many of its items are answered."""
    await run_unit_of_work(update, context, _read_only(_show_contents))


def _show_contents(work: Work, sitting: Sitting, _args: tuple[str, ...]) -> None:
    show_here(work, sitting, render_contents(sitting.rubric, sitting.card_view(work)))


async def show_area(update: Update, context: Context) -> None:
    """Shows one area's items as buttons."""
    await run_unit_of_work(update, context, _read_only(_show_area))


def _show_area(work: Work, sitting: Sitting, args: tuple[str, ...]) -> None:
    view = sitting.card_view(work)
    try:
        screen = render_area(sitting.rubric, view, args[0])
    except KeyError:
        work.reply(AnswerQuery(text("common.refused"), alert=True))
        return
    show_here(work, sitting, screen)


async def show_card(update: Update, context: Context) -> None:
    """Shows the current item again (back from the contents, a claim or the submit screen)."""
    await run_unit_of_work(update, context, _read_only(_show_card))


def _show_card(work: Work, sitting: Sitting, _args: tuple[str, ...]) -> None:
    show_card_here(work, sitting)


def _read_only(
    action: Callable[[Work, Sitting, tuple[str, ...]], None],
) -> Callable[[Work], None]:
    """Wraps a screen that changes nothing: it works on a locked assessment too."""

    def checked(work: Work) -> None:
        pressed = check_press(work, writes=False)
        if pressed is not None:
            sitting, data = pressed
            action(work, sitting, data.args)

    return checked
