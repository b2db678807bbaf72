"""Loading and checking where the user stands, once per update, before anything is written.

A `Sitting` is the secretary's assessment as the database holds it now, with its parsed rubric
and the items of the branch's category. `load_sitting` refuses (queues the plain reply and
returns None) when the user is not a bound secretary or the branch has no assessment;
`check_press` refuses a callback that does not fit the sitting: another assessment, an old
keyboard, a locked assessment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.callbacks import CallbackData, CallbackDataError, decode, make_marker
from handlers.cards import CardView, Screen, item_number, render_card
from handlers.catalogue import text
from handlers.uow import AnswerQuery, EditMessage, Work
from scoring import Rubric, parse_rubric
from scoring.model import Item
from storage.models import AnswerSource, AssessmentState, CycleState
from storage.repositories.assessments import (
    get_or_create_assessment,
    set_answer,
    set_card,
    set_position,
)
from storage.repositories.marks import AssessmentMarks, assessment_marks
from storage.repositories.standing import (
    AssessmentView,
    BranchView,
    CycleView,
    cycle_rubric_text,
    secretary_standing,
)

__all__ = [
    "EDITABLE_STATES",
    "Sitting",
    "check_press",
    "load_sitting",
    "rubric_for",
    "show_card_here",
    "show_here",
    "show_stale",
]

logger = logging.getLogger(__name__)

# The secretary may change answers while answering, and again once the town returns it.
EDITABLE_STATES = frozenset({AssessmentState.IN_PROGRESS, AssessmentState.RETURNED})


@dataclass
class Sitting:
    """A bound secretary's open assessment, as the database holds it in this transaction."""

    person_id: int
    branch: BranchView
    cycle: CycleView
    assessment: AssessmentView
    rubric: Rubric
    items: tuple[Item, ...]
    # Copies of the row's position, moved by `move_to` without dirtying the ORM object (the
    # repositories write the row with their own UPDATE statements).
    version: int = 0
    current_item_id: str | None = None
    # The answers and evidence counts, read with the standing (or once when first needed) and
    # kept up to date by `record_answer`.
    _marks: AssessmentMarks | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.version = self.assessment.version
        self.current_item_id = self.assessment.current_item_id

    @property
    def marker(self) -> str:
        """The version marker buttons built now carry."""
        return make_marker(self.version, self.cycle.rubric_sha256)

    def move_to(self, work: Work, index: int) -> None:
        """Makes the item at `index` the current one; the version moves on."""
        item_id = self.items[index].id
        self.version = set_position(work.session, self.assessment.id, item_id, work.now)
        self.current_item_id = item_id

    @property
    def editable(self) -> bool:
        """Whether the cycle is open and the assessment takes changes."""
        return self.cycle.state == CycleState.OPEN and self.assessment.state in EDITABLE_STATES

    @property
    def index(self) -> int:
        """The 0-based position of the current item among the category's items."""
        return item_number(self.items, self.current_item_id)

    def marks(self, work: Work) -> AssessmentMarks:
        """The secretary's answers and the evidence counts, read once (one query)."""
        if self._marks is None:
            self._marks = assessment_marks(work.session, self.assessment.id)
        return self._marks

    def forget_marks(self) -> None:
        """Makes the next `marks` read again (after evidence was added)."""
        self._marks = None

    def record_answer(self, work: Work, item_id: str, level_key: str) -> bool:
        """Stores the secretary's answer to an item unless it already is the current one.

        A press repeating the current answer writes nothing. Returns whether it wrote.
        """
        marks = self.marks(work)
        if marks.answers.get(item_id) == level_key:
            return False
        set_answer(
            work.session,
            self.assessment.id,
            item_id,
            level_key,
            AnswerSource.SELF,
            self.person_id,
            work.now,
        )
        marks.answers[item_id] = level_key
        return True

    def card_view(self, work: Work, index: int | None = None) -> CardView:
        """What the card shows: the answers and the current item's evidence count."""
        position = self.index if index is None else index
        marks = self.marks(work)
        return CardView(
            assessment_id=self.assessment.id,
            marker=self.marker,
            items=self.items,
            answers={key: value for key, value in marks.answers.items() if isinstance(value, str)},
            index=position,
            evidence_count=marks.evidence.get(self.items[position].id, 0),
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
    # The marks came with the standing; an assessment started just now reads them when needed
    # (another process may have started it first).
    marks = standing.marks
    if assessment is None:
        marks = None
        if not start or cycle.state != CycleState.OPEN:
            work.say("common.no_assessment")
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
        work.say("common.no_assessment")
        return None
    if not items:
        work.say("common.no_assessment")
        return None
    sitting = Sitting(standing.person_id, standing.branch, cycle, assessment, rubric, items)
    sitting._marks = marks
    return sitting


def check_press(work: Work, *, writes: bool = True) -> tuple[Sitting, CallbackData] | None:
    """Decodes and checks a button press against the database; refuses what does not fit.

    Forged or malformed data, or another branch's assessment, gets the plain refusal; a
    locked assessment gets "locked"; a keyboard older than the assessment's current version
    gets "此按钮已过期" and the pressed message shows the current item again.

    Args:
        work: the update's unit of work (its update is a callback query).
        writes: whether the press would change the assessment (then it must be editable).
    """
    query = work.update.callback_query
    if query is None:
        raise ValueError(f"update {work.update.update_id} is not a button press")
    try:
        data = decode(query.data)
    except CallbackDataError as error:
        logger.warning("refused callback data from %s: %s", work.telegram_id, error)
        work.reply(AnswerQuery(text("common.refused"), alert=True))
        return None
    sitting = load_sitting(work)
    if sitting is None:
        return None
    if data.assessment_id != sitting.assessment.id:
        logger.warning(
            "user %s pressed a button of assessment %s", work.telegram_id, data.assessment_id
        )
        work.reply(AnswerQuery(text("common.refused"), alert=True))
        return None
    if writes and not sitting.editable:
        key = "common.cycle_closed" if sitting.cycle.state != CycleState.OPEN else "common.locked"
        work.reply(AnswerQuery(text(key), alert=True))
        return None
    if data.marker != sitting.marker:
        show_stale(work, sitting)
        return None
    return sitting, data


def show_stale(work: Work, sitting: Sitting) -> None:
    """Says the button is stale and puts the current item on the pressed message."""
    work.reply(AnswerQuery(text("common.stale_button")))
    show_card_here(work, sitting)


def show_card_here(work: Work, sitting: Sitting) -> None:
    """Edits the pressed message into the current card, rendered after the commit."""
    rubric, view = sitting.rubric, sitting.card_view(work)
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
    assessment = sitting.assessment
    if (assessment.card_chat_id, assessment.card_message_id) != (
        message.chat_id,
        message.message_id,
    ):
        set_card(work.session, assessment.id, message.chat_id, message.message_id)
