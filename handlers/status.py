"""/status: the cycle, its deadline in local time and days left, progress, and state.

No callback-data kinds: a command only.
"""

from __future__ import annotations

from telegram import Update

from handlers.catalogue import text
from handlers.context import Context
from handlers.reminders import days_left_text, deadline_text
from handlers.sitting import rubric_for
from handlers.uow import Work, run_unit_of_work
from scoring import Rubric
from storage.models import AssessmentState
from storage.repositories import assessment_marks, claims_of, secretary_standing, town_name
from storage.repositories.reminders import branch_deadline
from storage.repositories.standing import AssessmentView

__all__ = ["show_status"]


async def show_status(update: Update, context: Context) -> None:
    """Tells a secretary where the branch stands in this year's cycle."""
    await run_unit_of_work(update, context, _show_status)


def _show_status(work: Work) -> None:
    standing = secretary_standing(work.session, work.telegram_id)
    if standing is None:
        work.say("common.not_bound")
        return
    cycle, assessment = standing.cycle, standing.assessment
    if cycle is None:
        work.say("common.no_assessment")
        return
    rubric = rubric_for(work, cycle)
    items = rubric.items_for(standing.branch.category)
    answered = evidence = claims = 0
    state = AssessmentState.IN_PROGRESS
    declared = ""
    reopened_until = assessment.reopened_until if assessment is not None else None
    deadline = branch_deadline(cycle.deadline_at, reopened_until)
    if assessment is not None:
        item_ids = {item.id for item in items}
        marks = assessment_marks(work.session, assessment.id)
        answered = sum(1 for item_id in marks.answers if item_id in item_ids)
        evidence = sum(marks.evidence.values())
        claims = len(claims_of(work.session, assessment.id))
        state = AssessmentState(assessment.state)
        if assessment.declared_stars is not None:
            declared = text("status.declared", label=rubric.level(assessment.declared_stars).label)
    # The deadline stops an unsubmitted assessment at once, before the planning job locks it.
    if state == AssessmentState.IN_PROGRESS and work.now >= deadline:
        state = AssessmentState.OVERDUE
    work.say(
        "status.status",
        branch=standing.branch.name,
        town=town_name(work.session, standing.branch.town_id),
        year=cycle.year,
        deadline=deadline_text(deadline, work.state.timezone),
        days_left=days_left_text(deadline, work.now, work.state.timezone),
        answered=answered,
        total=len(items),
        evidence=evidence,
        claims=claims,
        state=_state_label(rubric, state, assessment),
        declared=declared,
    )


def _state_label(rubric: Rubric, state: AssessmentState, assessment: AssessmentView | None) -> str:
    """The state in words; a named branch's label names its level."""
    final_stars = assessment.final_stars if assessment is not None else None
    if state == AssessmentState.NAMED and final_stars is not None:
        return text("status.named_as", level=rubric.level(final_stars).label)
    top_level = max(rubric.levels, key=lambda level: level.stars)
    return text(f"status.state.{state.value}", top_level=top_level.label)
