"""Loading and checking where the user stands, once per update, before anything is written.

A `Sitting` is the secretary's assessment as the database holds it in this transaction, with its
parsed rubric, the items of the branch's category and the answers and evidence counts.
`load_sitting` refuses (queues the plain reply and returns None) when the user is not a bound
secretary or the branch has no assessment. A button's callback is written as an action of the
checked press and declared with `on_press`, which refuses a press that does not fit the sitting:
another assessment, an old keyboard, a locked assessment.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace

from telegram import Update

from handlers.callbacks import CallbackData, CallbackDataError, decode, make_marker
from handlers.cards import CardView, Screen, item_number, render_card
from handlers.catalogue import text
from handlers.context import Context
from handlers.uow import AnswerQuery, EditMessage, Work, run_unit_of_work
from scoring import Rubric, parse_rubric
from scoring.model import Item
from storage.models import AnswerSource, AssessmentState, CycleState
from storage.repositories.assessments import (
    EDITABLE_STATES,
    get_or_create_assessment,
    set_answer,
    set_card,
    set_position,
)
from storage.repositories.marks import AssessmentMarks, assessment_marks
from storage.repositories.reminders import branch_deadline
from storage.repositories.standing import (
    AssessmentView,
    BranchView,
    CycleView,
    cycle_rubric_text,
    secretary_standing,
)

__all__ = [
    "PressAction",
    "Sitting",
    "decode_press",
    "load_sitting",
    "on_press",
    "rubric_for",
    "say_locked",
    "show_card_here",
    "show_here",
]

logger = logging.getLogger(__name__)


@dataclass
class Sitting:
    """A bound secretary's assessment, as the database holds it in this transaction.

    Attributes:
        person_id: the secretary.
        branch: the secretary's branch.
        cycle: the cycle the assessment belongs to.
        assessment: the assessment row as last read or written in this transaction.
        rubric: the cycle's pinned rubric.
        items: the items of the branch's category, in rubric order.
        marks: the secretary's answers and the evidence counts, kept up to date by the writes.
        past_deadline: whether the branch's deadline has passed at this update's instant: a
            press after it is refused even before the planning job has locked the assessment.
    """

    person_id: int
    branch: BranchView
    cycle: CycleView
    assessment: AssessmentView
    rubric: Rubric
    items: tuple[Item, ...]
    marks: AssessmentMarks
    past_deadline: bool = False

    @property
    def marker(self) -> str:
        """The version marker buttons built now carry."""
        return make_marker(self.assessment.version, self.cycle.rubric_sha256)

    @property
    def editable(self) -> bool:
        """Whether the cycle is open and the assessment takes changes."""
        return (
            self.cycle.state == CycleState.OPEN
            and self.assessment.state in EDITABLE_STATES
            and not self.past_deadline
        )

    @property
    def locked_key(self) -> str:
        """The catalogue key telling the secretary why the assessment takes no changes."""
        if self.cycle.state != CycleState.OPEN:
            return "common.cycle_closed"
        if self.past_deadline or self.assessment.state == AssessmentState.OVERDUE:
            return "common.overdue"
        return "common.locked"

    @property
    def index(self) -> int:
        """The 0-based position of the current item among the category's items."""
        return item_number(self.items, self.assessment.current_item_id)

    def shows_item(self, number: str) -> bool:
        """Whether a press's item number (1-based, as the buttons carry it) is the current one."""
        return number == str(self.index + 1)

    def move_to(self, work: Work, index: int) -> None:
        """Makes the item at `index` the current one; the version moves on."""
        item_id = self.items[index].id
        version = set_position(work.session, self.assessment.id, item_id, work.now)
        self.assessment = replace(self.assessment, version=version, current_item_id=item_id)

    def record_answer(self, work: Work, item_id: str, level_key: str) -> None:
        """Stores the secretary's answer to an item; the current answer again writes nothing."""
        if self.marks.answers.get(item_id) == level_key:
            return
        set_answer(
            work.session,
            self.assessment.id,
            item_id,
            level_key,
            AnswerSource.SELF,
            self.person_id,
            work.now,
        )
        self.marks.answers[item_id] = level_key

    def count_evidence(self) -> None:
        """Counts one more piece of evidence on the current item (after it was stored)."""
        item_id = self.items[self.index].id
        self.marks.evidence[item_id] = self.marks.evidence.get(item_id, 0) + 1

    def card_view(self) -> CardView:
        """What the card shows: the answers and the current item's evidence count."""
        return CardView(
            assessment_id=self.assessment.id,
            marker=self.marker,
            items=self.items,
            answers={
                item_id: answer
                for item_id, answer in self.marks.answers.items()
                if isinstance(answer, str)
            },
            index=self.index,
            evidence_count=self.marks.evidence.get(self.items[self.index].id, 0),
        )


def rubric_for(work: Work, cycle: CycleView) -> Rubric:
    """Returns the cycle's pinned rubric, parsing its text only the first time per process."""
    rubric = work.state.rubrics.get(cycle.rubric_sha256)
    if rubric is None:
        rubric_text = cycle_rubric_text(work.session, cycle.id)
        rubric = parse_rubric(rubric_text, source=f"cycle {cycle.id}")
        work.state.rubrics[cycle.rubric_sha256] = rubric
    return rubric


def load_sitting(work: Work, *, start: bool = False) -> Sitting | None:
    """Loads the user's assessment, or queues the plain refusal and returns None.

    Args:
        work: the update's unit of work.
        start: start the assessment when the cycle is open and it does not exist yet (/assess).
    """
    standing = secretary_standing(work.session, work.telegram_id)
    if standing is None:
        work.say("common.not_bound")
        return None
    cycle, assessment = standing.cycle, standing.assessment
    if cycle is None:
        work.say("common.no_assessment")
        return None
    reopened_until = assessment.reopened_until if assessment is not None else None
    past_deadline = work.now >= branch_deadline(cycle.deadline_at, reopened_until)
    if assessment is None:
        if not start or cycle.state != CycleState.OPEN:
            work.say("common.no_assessment")
            return None
        if past_deadline:
            work.say("common.overdue")
            return None
        assessment = AssessmentView.of(
            get_or_create_assessment(work.session, standing.branch.id, cycle.id, work.now)
        )
    rubric = rubric_for(work, cycle)
    try:
        items = rubric.items_for(standing.branch.category)
    except KeyError:
        logger.error(
            "branch %s has category %r unknown to its rubric",
            standing.branch.id,
            standing.branch.category,
        )
        items = ()
    if not items:
        work.say("common.no_assessment")
        return None
    marks = assessment_marks(work.session, assessment.id)
    # Only an assessment still being answered is stopped by the deadline; one the town
    # returned for revision keeps the time the town gives it.
    stopped = past_deadline and assessment.state == AssessmentState.IN_PROGRESS
    return Sitting(
        standing.person_id, standing.branch, cycle, assessment, rubric, items, marks, stopped
    )


def say_locked(work: Work, sitting: Sitting) -> None:
    """Tells the secretary why the assessment takes no changes."""
    work.say(sitting.locked_key)


PressAction = Callable[[Work, Sitting, CallbackData], None]
"""What a button does once its press is checked: the unit of work, the sitting, the data."""

ButtonCallback = Callable[[Update, Context], Coroutine[None, None, None]]


def on_press(*, writes: bool = True) -> Callable[[PressAction], ButtonCallback]:
    """Turns a press action into the button's callback: one unit of work, the press checked.

    Forged or malformed data, or another branch's assessment, gets the plain refusal; a press
    that would change a locked assessment is told why it is locked; a keyboard older than the
    assessment's current version gets "此按钮已过期" and the pressed message shows the current
    item again. Only a press that passes all of these reaches the action.

    Args:
        writes: whether the press changes the assessment (then it must be editable); a screen
            that only shows something works on a locked assessment too.
    """

    def decorate(action: PressAction) -> ButtonCallback:
        def checked(work: Work) -> None:
            pressed = _check_press(work, writes=writes)
            if pressed is not None:
                action(work, *pressed)

        @functools.wraps(action)
        async def callback(update: Update, context: Context) -> None:
            await run_unit_of_work(update, context, checked)

        return callback

    return decorate


def _check_press(work: Work, *, writes: bool) -> tuple[Sitting, CallbackData] | None:
    """Decodes a button press and checks it against the database; refuses what does not fit."""
    data = decode_press(work)
    if data is None:
        return None
    sitting = load_sitting(work)
    if sitting is None:
        return None
    if data.assessment_id != sitting.assessment.id:
        logger.warning(
            "user %s pressed a button of assessment %s", work.telegram_id, data.assessment_id
        )
        work.refuse()
        return None
    if writes and not sitting.editable:
        say_locked(work, sitting)
        return None
    if data.marker != sitting.marker:
        work.reply(AnswerQuery(text("common.stale_button")))
        show_card_here(work, sitting)
        return None
    return sitting, data


def decode_press(work: Work) -> CallbackData | None:
    """Decodes the pressed button's data, or refuses it (plain refusal) and returns None."""
    query = work.update.callback_query
    if query is None:
        raise ValueError(f"update {work.update.update_id} is not a button press")
    try:
        return decode(query.data)
    except CallbackDataError as error:
        logger.warning("refused callback data from %s: %s", work.telegram_id, error)
        work.refuse()
        return None


def show_card_here(work: Work, sitting: Sitting) -> None:
    """Edits the pressed message into the current card, rendered after the commit."""
    rubric, view = sitting.rubric, sitting.card_view()
    show_here(work, sitting, lambda: render_card(rubric, view))


def show_here(work: Work, sitting: Sitting, screen: Screen | Callable[[], Screen]) -> None:
    """Edits the pressed message into `screen` and remembers that message as the card.

    The card is wherever the secretary last pressed, so evidence sent afterwards updates the
    message they are looking at. `screen` may be a function, rendered after the commit.
    """
    message = work.update.effective_message
    if message is None:
        return
    work.reply(EditMessage(message.chat_id, message.message_id, screen))
    where = (message.chat_id, message.message_id)
    assessment = sitting.assessment
    if (assessment.card_chat_id, assessment.card_message_id) != where:
        set_card(work.session, assessment.id, *where)
        sitting.assessment = replace(
            assessment, card_chat_id=message.chat_id, card_message_id=message.message_id
        )
