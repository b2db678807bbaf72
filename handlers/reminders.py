"""Deadline messages: the secretary's reminder and overdue notice, the reviewers' digest.

Callback-data kind handled here: RESUME (继续自评 on a reminder: the card where the secretary
stopped; it moves nothing, so a repeated press shows the same card).

The renderers run inside the sender's claiming transaction and return None when the message
is no longer owed: the secretary submitted, the deadline moved, a later reminder is due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import JobQueue

from handlers.callbacks import Kind, make_marker
from handlers.cards import button, format_points
from handlers.catalogue import text
from handlers.context import Context
from handlers.feedback import self_assessed
from handlers.outbox import OutgoingMessage
from handlers.sitting import decode_press, load_sitting, say_locked, show_card_here
from handlers.uow import Work, run_unit_of_work
from scoring import Rubric, ScoreResult, score_branch
from storage.models import (
    Assessment,
    AssessmentState,
    Branch,
    Cycle,
    CycleState,
    Delivery,
    DeliveryState,
    Town,
)
from storage.repositories.assessments import answers_of, get_assessment, get_or_create_assessment
from storage.repositories.cycles import cycle_rubric
from storage.repositories.evidence import claims_of
from storage.repositories.reminders import (
    NOT_SUBMITTED_STATES,
    PlanReport,
    branch_deadline,
    later_reminder_due,
    plan_deliveries,
)
from storage.repositories.roles import secretaries_of_town, town_reviewers
from storage.repositories.status import town_progress
from storage.schedule import last_day

__all__ = [
    "PLANNING_INTERVAL",
    "PLANNING_JOB",
    "days_left_text",
    "deadline_text",
    "plan_owed_messages",
    "render_digest",
    "render_overdue",
    "render_reminder",
    "resume_assessment",
    "schedule_planning",
]

logger = logging.getLogger(__name__)

# The planning job's stable name: one per process, whatever restarts it.
PLANNING_JOB = "plan-deliveries"
# Planning is idempotent and cheap; hourly, an assessment is locked as `overdue` within the
# hour after its deadline (presses are refused from the deadline's first second anyway), and a
# secretary bound today is owed the rest of the reminders the same hour.
PLANNING_INTERVAL = timedelta(hours=1)

# The digest names at most this many branches behind; a town has a few dozen.
_BEHIND_SHOWN = 40
# How many of the biggest losses a reminder names.
_MISSING_SHOWN = 3


def deadline_text(deadline: datetime, zone: ZoneInfo) -> str:
    """The deadline in local time; the end of a day reads as 24:00 of that day."""
    local = deadline.astimezone(zone)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day = last_day(deadline, zone).strftime(text("reminders.date_format"))
        return text("reminders.deadline_day_end", date=day)
    return local.strftime(text("reminders.time_format"))


def days_left_text(deadline: datetime, now: datetime, zone: ZoneInfo) -> str:
    """Calendar days from today to the deadline's last day, or that it has passed."""
    if now >= deadline:
        return text("reminders.passed")
    days = (last_day(deadline, zone) - now.astimezone(zone).date()).days
    if days == 0:
        return text("reminders.due_today")
    return text("reminders.days_left", days=days)


class _Target:
    """The secretary's branch, cycle and assessment a delivery is about, as they stand now."""

    def __init__(self, session: Session, delivery: Delivery) -> None:
        payload = delivery.payload
        self.cycle = session.get(Cycle, payload.get("cycle_id"))
        self.branch = session.get(Branch, payload.get("branch_id"))
        self.assessment: Assessment | None = None
        if self.cycle is not None and self.branch is not None:
            self.assessment = get_assessment(session, self.branch.id, self.cycle.id)

    def still_owed(self, session: Session, delivery: Delivery) -> bool:
        """Whether the branch is unsubmitted, its deadline unchanged, the recipient bound."""
        if self.cycle is None or self.branch is None or self.cycle.state != CycleState.OPEN:
            return False
        if self.assessment is not None and self.assessment.state not in NOT_SUBMITTED_STATES:
            return False
        if self.deadline.isoformat() != delivery.payload.get("deadline_at"):
            return False
        bound = secretaries_of_town(session, self.cycle.town_id).get(self.branch.id, [])
        return delivery.recipient_telegram_id in bound

    @property
    def deadline(self) -> datetime:
        assert self.cycle is not None
        reopened = self.assessment.reopened_until if self.assessment is not None else None
        return branch_deadline(self.cycle.deadline_at, reopened)


def _self_score(
    session: Session, rubric: Rubric, category: str, assessment_id: int
) -> ScoreResult:
    """Scores the secretary's own answers and declared claims so far, as the summary does."""
    item_ids = {item.id for item in rubric.items_for(category)}
    answers = {
        item_id: answer
        for item_id, answer in answers_of(session, assessment_id).items()
        if item_id in item_ids
    }
    claims = claims_of(session, assessment_id)
    return score_branch(rubric, self_assessed(category, answers, claims))


def _missing_lines(rubric: Rubric, result: ScoreResult) -> str:
    """The three items that lose the most points, largest first."""
    biggest = sorted(result.missing, key=lambda missing: missing.lost, reverse=True)
    if not biggest:
        return text("reminders.missing_none")
    lines = [text("reminders.missing_heading")]
    for missing in biggest[:_MISSING_SHOWN]:
        item = rubric.item(missing.item_id)
        lost = format_points(missing.lost)
        lines.append(
            text(
                "reminders.missing_line",
                area=rubric.area(item.area).title,
                item=item.text,
                lost_text=text("reminders.missing_lost", lost=lost)
                if missing.answered
                else text("reminders.missing_unanswered", points=lost),
            )
        )
    return "\n".join(lines)


def render_reminder(
    session: Session, delivery: Delivery, now: datetime, *, zone: ZoneInfo
) -> OutgoingMessage | None:
    """A deadline reminder: days left, progress, provisional star, biggest losses, 继续自评."""
    target = _Target(session, delivery)
    if not target.still_owed(session, delivery) or now >= target.deadline:
        return None
    if later_reminder_due(session, delivery, now):
        return None
    assert target.cycle is not None and target.branch is not None
    cycle, branch = target.cycle, target.branch
    # The button needs an assessment to point at: a secretary who has not started yet starts
    # at the first item, as /assess would.
    assessment = target.assessment or get_or_create_assessment(session, branch.id, cycle.id, now)
    rubric = cycle_rubric(cycle)
    result = _self_score(session, rubric, branch.category, assessment.id)
    unanswered = sum(1 for missing in result.missing if not missing.answered)
    total = len(rubric.items_for(branch.category))
    stars = result.provisional.stars
    level = (
        rubric.level(stars).label
        if any(level.stars == stars for level in rubric.levels)
        else text("reminders.level_unrated")
    )
    body = text(
        "reminders.reminder",
        branch=branch.name,
        year=cycle.year,
        deadline=deadline_text(target.deadline, zone),
        days_left=days_left_text(target.deadline, now, zone),
        answered=total - unanswered,
        total=total,
        level=level,
        missing=_missing_lines(rubric, result),
    )
    marker = make_marker(assessment.version, cycle.rubric_sha256)
    keyboard = InlineKeyboardMarkup(
        [[button(text("reminders.resume_button"), Kind.RESUME, assessment.id, marker)]]
    )
    return OutgoingMessage(body, keyboard)


def render_overdue(
    session: Session, delivery: Delivery, now: datetime, *, zone: ZoneInfo
) -> OutgoingMessage | None:
    """The notice the day after a missed deadline: locked, contact the town."""
    target = _Target(session, delivery)
    if not target.still_owed(session, delivery) or now < target.deadline:
        return None
    assert target.cycle is not None and target.branch is not None
    rubric = cycle_rubric(target.cycle)
    items = rubric.items_for(target.branch.category)
    answered = 0
    if target.assessment is not None:
        answers = answers_of(session, target.assessment.id)
        answered = sum(1 for item in items if item.id in answers)
    body = text(
        "reminders.overdue",
        branch=target.branch.name,
        year=target.cycle.year,
        deadline=deadline_text(target.deadline, zone),
        answered=answered,
        total=len(items),
    )
    return OutgoingMessage(body)


def render_digest(
    session: Session, delivery: Delivery, now: datetime, *, zone: ZoneInfo
) -> OutgoingMessage | None:
    """The reviewers' digest: how many branches stand where, who is behind, who is unreachable."""
    cycle = session.get(Cycle, delivery.payload.get("cycle_id"))
    if cycle is None or cycle.state != CycleState.OPEN:
        return None
    if cycle.deadline_at.isoformat() != delivery.payload.get("deadline_at"):
        return None
    # A reviewer whose role was revoked since the plan is no longer told the town's progress.
    if delivery.recipient_telegram_id not in town_reviewers(session, cycle.town_id):
        return None
    town = session.get_one(Town, cycle.town_id)
    counts = dict.fromkeys(
        ("submitted", "returned", "in_progress", "not_started", "overdue", "not_bound"), 0
    )
    behind: list[str] = []
    for progress in town_progress(session, town.id, cycle.id):
        state = progress.state
        if state == AssessmentState.RETURNED:
            # Returned for revision: behind until the secretary submits again.
            where = "returned"
        elif state is not None and state not in NOT_SUBMITTED_STATES:
            counts["submitted"] += 1
            continue
        elif not progress.bound:
            where = "not_bound"
        elif state == AssessmentState.OVERDUE:
            where = "overdue"
        elif progress.answers:
            where = "in_progress"
        else:
            where = "not_started"
        counts[where] += 1
        label = text(f"reminders.behind_state.{where}", answered=len(progress.answers))
        behind.append(text("reminders.behind_line", branch=progress.branch.name, state=label))
    body = text(
        "reminders.digest",
        town=town.name,
        year=cycle.year,
        deadline=deadline_text(cycle.deadline_at, zone),
        days_left=days_left_text(cycle.deadline_at, now, zone),
        total=sum(counts.values()),
        behind=_behind_lines(behind),
        unreachable=_unreachable_lines(session, town.id),
        submitted=counts["submitted"],
        returned=counts["returned"],
        in_progress=counts["in_progress"],
        not_started=counts["not_started"],
        overdue=counts["overdue"],
        not_bound=counts["not_bound"],
    )
    return OutgoingMessage(body)


def _behind_lines(behind: list[str]) -> str:
    if not behind:
        return text("reminders.behind_none")
    lines = [text("reminders.behind_heading"), *behind[:_BEHIND_SHOWN]]
    if len(behind) > _BEHIND_SHOWN:
        lines.append(text("reminders.behind_more", count=len(behind) - _BEHIND_SHOWN))
    return "\n".join(lines)


def _unreachable_lines(session: Session, town_id: int) -> str:
    """The branches whose secretary's latest delivery Telegram refused (blocked, deactivated)."""
    secretaries = secretaries_of_town(session, town_id)
    branch_of = {
        telegram_id: branch_id
        for branch_id, telegram_ids in secretaries.items()
        for telegram_id in telegram_ids
    }
    if not branch_of:
        return ""
    latest: dict[int, str] = {}
    rows = session.execute(
        select(Delivery.recipient_telegram_id, Delivery.state)
        .where(
            Delivery.recipient_telegram_id.in_(branch_of),
            Delivery.state.in_((DeliveryState.SENT, DeliveryState.UNREACHABLE)),
        )
        .order_by(Delivery.id)
    )
    for telegram_id, state in rows:
        latest[telegram_id] = state
    unreachable_branches = sorted(
        {branch_of[telegram_id] for telegram_id, state in latest.items() if state == "unreachable"}
    )
    if not unreachable_branches:
        return ""
    names = session.scalars(select(Branch.name).where(Branch.id.in_(unreachable_branches)))
    lines = [text("reminders.unreachable_heading")]
    lines.extend(text("reminders.unreachable_line", branch=name) for name in names)
    return "\n".join(lines)


async def resume_assessment(update: Update, context: Context) -> None:
    """Opens the card where the secretary stopped, from a reminder's 继续自评 button."""
    await run_unit_of_work(update, context, _resume_assessment)


def _resume_assessment(work: Work) -> None:
    data = decode_press(work)
    if data is None:
        return
    sitting = load_sitting(work)
    if sitting is None:
        return
    if data.assessment_id != sitting.assessment.id:
        work.refuse()
        return
    if not sitting.editable:
        say_locked(work, sitting)
        return
    # The reminder's own version marker is old by now; the card shown carries the current one.
    show_card_here(work, sitting)


async def plan_owed_messages(context: Context) -> PlanReport:
    """The planning job: locks what the deadline made overdue and owes what will be due."""
    state = context.bot_data
    schedule = state.reminder_schedule
    if schedule is None:
        raise RuntimeError("no reminder schedule: build_application sets one")
    now = state.now()
    report = await state.require_database().run(
        lambda session: plan_deliveries(session, schedule, now)
    )
    logger.info(
        "planned: %s owed, %s cancelled, %s overdue, %s results",
        report.owed,
        report.cancelled,
        report.overdue,
        report.results,
    )
    return report


def schedule_planning(job_queue: JobQueue[Any]) -> None:
    """Registers the hourly planning job; the first run is a few seconds after start-up.

    What is owed lives in the `delivery` table, not in the job store, so several processes
    may run the same job.
    """
    job_queue.run_repeating(
        plan_owed_messages,
        interval=PLANNING_INTERVAL,
        first=timedelta(seconds=5),
        name=PLANNING_JOB,
    )
