"""The deadline and what is owed because of it: overdue flips, planned reminders, re-planning.

Planning writes one `delivery` row per message that will be due (reminders and an overdue
notice to each bound secretary who has not submitted, a digest to the town's reviewers), keyed
so that planning again creates nothing new. A due key names the cycle, the branch and the
deadline it was planned for (`c12:b34:dl1798732800:d7`): when the deadline moves, the rows
planned for the old one no longer match the plan and are cancelled, never sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import (
    Assessment,
    AssessmentState,
    Branch,
    Cycle,
    CycleState,
    Delivery,
    DeliveryKind,
    DeliveryState,
)
from storage.repositories.assessments import get_or_create_assessment
from storage.repositories.audit import record_audit
from storage.repositories.deliveries import owe_delivery
from storage.repositories.results import owe_results
from storage.repositories.roles import secretaries_of_town, town_reviewers
from storage.schedule import ReminderSchedule, last_day

__all__ = [
    "NOT_SUBMITTED_STATES",
    "DeadlineError",
    "PlanReport",
    "branch_deadline",
    "cycle_key_prefix",
    "extend_deadline",
    "flip_overdue",
    "later_reminder_due",
    "owed_deliveries",
    "plan_deliveries",
    "reopen_branch",
]

# Whose secretary is still owed reminders: not started (no row), answering, or missed it.
NOT_SUBMITTED_STATES = frozenset({AssessmentState.IN_PROGRESS, AssessmentState.OVERDUE})
# The kinds planning owns; results and review events are owed when they happen.
_PLANNED_KINDS = (DeliveryKind.REMINDER, DeliveryKind.OVERDUE, DeliveryKind.DIGEST)
# A reminder or digest more than a day late is no longer worth sending.
_LATE_LIMIT = timedelta(days=1)


class DeadlineError(ValueError):
    """A deadline change the cycle or the branch cannot take; the message says why."""


@dataclass
class PlanReport:
    """What one planning run did."""

    owed: int = 0
    cancelled: int = 0
    overdue: int = 0
    results: int = 0

    def add(self, other: PlanReport) -> None:
        """Adds another run's counts to this one."""
        self.owed += other.owed
        self.cancelled += other.cancelled
        self.overdue += other.overdue
        self.results += other.results


@dataclass(frozen=True)
class _Owed:
    kind: DeliveryKind
    recipient: int
    due_key: str
    due_at: datetime
    payload: dict[str, Any] = field(compare=False)


def cycle_key_prefix(cycle_id: int) -> str:
    """The start of every due key planned for a cycle."""
    return f"c{cycle_id}:"


def branch_deadline(cycle_deadline: datetime, reopened_until: datetime | None) -> datetime:
    """The instant a branch stops taking answers: the cycle's, or later if the town reopened it."""
    if reopened_until is None:
        return cycle_deadline
    return max(cycle_deadline, reopened_until)


def flip_overdue(session: Session, cycle: Cycle, now: datetime) -> int:
    """Locks the cycle's unsubmitted assessments whose deadline has passed as `overdue`.

    Each flip is audited. Returns how many assessments were flipped.
    """
    if now < cycle.deadline_at:
        return 0
    due = session.execute(
        update(Assessment)
        .where(
            Assessment.cycle_id == cycle.id,
            Assessment.state == AssessmentState.IN_PROGRESS,
            (Assessment.reopened_until.is_(None)) | (Assessment.reopened_until <= now),
        )
        .values(state=AssessmentState.OVERDUE, updated_at=now, version=Assessment.version + 1)
        .returning(Assessment.id)
        .execution_options(synchronize_session=False)
    ).all()
    for (assessment_id,) in due:
        record_audit(
            session,
            None,
            "assessment.overdue",
            "assessment",
            assessment_id,
            {"state": AssessmentState.IN_PROGRESS},
            {"state": AssessmentState.OVERDUE},
            None,
            now,
        )
    return len(due)


def plan_deliveries(
    session: Session,
    schedule: ReminderSchedule,
    now: datetime,
    cycle: Cycle | None = None,
) -> PlanReport:
    """Flips overdue assessments and owes what the open cycles (or one cycle) will send.

    Rows already owed stay as they are; pending rows the plan no longer holds (a moved
    deadline, a secretary who submitted or was unbound) are cancelled.
    """
    cycles = (
        [cycle]
        if cycle is not None
        else list(session.scalars(select(Cycle).where(Cycle.state == CycleState.OPEN)).all())
    )
    report = PlanReport()
    for planned in cycles:
        report.overdue += flip_overdue(session, planned, now)
        wanted = _plan_of(session, planned, schedule)
        existing = _planned_rows(session, planned.id)
        for owed in wanted:
            key = (owed.kind.value, owed.recipient, owed.due_key)
            # Rows already due are not owed again: a secretary bound late gets the rest.
            if owed.due_at < now:
                continue
            if key not in existing:
                report.owed += owe_delivery(
                    session, owed.kind, owed.recipient, owed.due_key, owed.payload, owed.due_at
                )
            elif existing[key][1] == DeliveryState.CANCELLED:
                report.owed += _owe_again(session, existing[key][0])
        report.cancelled += _cancel_unplanned(session, existing, wanted)
        report.results += owe_results(session, planned, now)
    return report


def _plan_of(session: Session, cycle: Cycle, schedule: ReminderSchedule) -> set[_Owed]:
    """Every planned message of the cycle, whether due yet or not."""
    assessments = {
        branch_id: (state, reopened_until)
        for branch_id, state, reopened_until in session.execute(
            select(Assessment.branch_id, Assessment.state, Assessment.reopened_until).where(
                Assessment.cycle_id == cycle.id
            )
        )
    }
    owed: set[_Owed] = set()
    for branch_id, telegram_ids in secretaries_of_town(session, cycle.town_id).items():
        state, reopened_until = assessments.get(branch_id, (None, None))
        if state is not None and state not in NOT_SUBMITTED_STATES:
            continue
        deadline = branch_deadline(cycle.deadline_at, reopened_until)
        for telegram_id in telegram_ids:
            owed.update(_secretary_plan(cycle, branch_id, telegram_id, deadline, schedule))
    for telegram_id in town_reviewers(session, cycle.town_id):
        for days, due_at in _reminder_times(cycle.reminder_days, cycle.deadline_at, schedule):
            key = f"{cycle_key_prefix(cycle.id)}dl{_stamp(cycle.deadline_at)}:d{days}"
            payload = _payload(cycle, cycle.deadline_at, due_at, days=days)
            owed.add(_Owed(DeliveryKind.DIGEST, telegram_id, key, due_at, payload))
    return owed


def _secretary_plan(
    cycle: Cycle,
    branch_id: int,
    telegram_id: int,
    deadline: datetime,
    schedule: ReminderSchedule,
) -> Iterable[_Owed]:
    """One secretary's reminders before `deadline` and the overdue notice the day after."""
    prefix = f"{cycle_key_prefix(cycle.id)}b{branch_id}:dl{_stamp(deadline)}"
    for days, due_at in _reminder_times(cycle.reminder_days, deadline, schedule):
        payload = _payload(cycle, deadline, due_at, days=days, branch_id=branch_id)
        yield _Owed(DeliveryKind.REMINDER, telegram_id, f"{prefix}:d{days}", due_at, payload)
    notice_at = schedule.send_time(last_day(deadline, schedule.zone) + timedelta(days=1))
    payload = _payload(cycle, deadline, notice_at, branch_id=branch_id)
    yield _Owed(DeliveryKind.OVERDUE, telegram_id, f"{prefix}:overdue", notice_at, payload)


def _reminder_times(
    reminder_days: Iterable[int], deadline: datetime, schedule: ReminderSchedule
) -> Iterable[tuple[int, datetime]]:
    """(days before, due instant) of each reminder day, at the reminder time of that local day.

    A reminder that would fall at or after the deadline itself (a morning deadline's own day)
    is left out.
    """
    final_day = last_day(deadline, schedule.zone)
    for days in sorted(set(reminder_days), reverse=True):
        due_at = schedule.send_time(final_day - timedelta(days=days))
        if due_at < deadline:
            yield days, due_at


def _payload(
    cycle: Cycle,
    deadline: datetime,
    due_at: datetime,
    days: int | None = None,
    branch_id: int | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "town_id": cycle.town_id,
        "cycle_id": cycle.id,
        "deadline_at": deadline,
        "expires_at": due_at + _LATE_LIMIT,
    }
    if days is not None:
        payload["days"] = days
    if branch_id is not None:
        payload["branch_id"] = branch_id
    return payload


def _stamp(instant: datetime) -> int:
    """The deadline as whole seconds since the epoch: short, and unique per deadline."""
    return int(instant.timestamp())


_Key = tuple[str, int, str]


def _planned_rows(session: Session, cycle_id: int) -> dict[_Key, tuple[int, str]]:
    """The cycle's planned rows in any state: (kind, recipient, due key) → (id, state)."""
    rows = session.execute(
        select(
            Delivery.kind,
            Delivery.recipient_telegram_id,
            Delivery.due_key,
            Delivery.id,
            Delivery.state,
        ).where(
            Delivery.kind.in_(_PLANNED_KINDS),
            Delivery.due_key.startswith(cycle_key_prefix(cycle_id), autoescape=True),
        )
    )
    return {
        (kind, recipient, key): (row_id, state) for kind, recipient, key, row_id, state in rows
    }


def _cancel_unplanned(
    session: Session, existing: dict[_Key, tuple[int, str]], wanted: set[_Owed]
) -> int:
    """Cancels the pending planned rows that the plan no longer holds."""
    keys = {(owed.kind.value, owed.recipient, owed.due_key) for owed in wanted}
    stale = [
        row_id
        for key, (row_id, state) in existing.items()
        if state == DeliveryState.PENDING and key not in keys
    ]
    if stale:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(stale), Delivery.state == DeliveryState.PENDING)
            .values(state=DeliveryState.CANCELLED)
            .execution_options(synchronize_session=False)
        )
    return len(stale)


def _owe_again(session: Session, delivery_id: int) -> bool:
    """Owes a cancelled row again: the plan wants it back (a deadline moved back to where it
    was, a submission returned for revision). A cancelled row was never sent, so sending it
    now still sends it once."""
    revived = session.scalar(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == DeliveryState.CANCELLED)
        .values(state=DeliveryState.PENDING)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return revived is not None


def extend_deadline(
    session: Session,
    cycle: Cycle,
    deadline_at: datetime,
    reason: str,
    schedule: ReminderSchedule,
    now: datetime,
    actor_id: int | None = None,
) -> PlanReport:
    """Moves the cycle's deadline, unlocks what it had made overdue, and re-plans.

    Usually later; earlier too, so a deadline opened with a typing mistake can be corrected
    while it is still ahead.

    Raises:
        DeadlineError: the new deadline is the current one, or already past.
    """
    old = cycle.deadline_at
    if deadline_at == old:
        raise DeadlineError("that is already the deadline")
    if deadline_at <= now:
        raise DeadlineError("that time has already passed")
    cycle.deadline_at = deadline_at
    reopened = session.execute(
        update(Assessment)
        .where(Assessment.cycle_id == cycle.id, Assessment.state == AssessmentState.OVERDUE)
        .values(state=AssessmentState.IN_PROGRESS, updated_at=now, version=Assessment.version + 1)
        .returning(Assessment.id)
        .execution_options(synchronize_session=False)
    ).all()
    record_audit(
        session,
        actor_id,
        "cycle.extend",
        "cycle",
        cycle.id,
        {"deadline_at": old},
        {"deadline_at": deadline_at, "unlocked_assessments": [row[0] for row in reopened]},
        reason,
        now,
    )
    session.flush()
    return plan_deliveries(session, schedule, now, cycle)


def reopen_branch(
    session: Session,
    cycle: Cycle,
    branch: Branch,
    until: datetime,
    reason: str,
    schedule: ReminderSchedule,
    now: datetime,
    actor_id: int | None = None,
) -> PlanReport:
    """Lets one branch answer again until `until` (its overdue assessment becomes editable).

    Raises:
        DeadlineError: `until` has passed or is not after the cycle's deadline, or the
            branch has already submitted.
    """
    if until <= now:
        raise DeadlineError("that time has already passed")
    if until <= cycle.deadline_at:
        # The branch takes answers until the cycle's deadline anyway.
        raise DeadlineError(
            "that is not after the cycle's deadline; to move every branch's, use "
            "pingxing cycle extend"
        )
    assessment = get_or_create_assessment(session, branch.id, cycle.id, now)
    if assessment.state not in NOT_SUBMITTED_STATES:
        raise DeadlineError(
            f"branch {branch.name!r} is {assessment.state}: only an unsubmitted one is reopened"
        )
    old = {"state": assessment.state, "reopened_until": assessment.reopened_until}
    assessment.state = AssessmentState.IN_PROGRESS
    assessment.reopened_until = until
    assessment.version += 1
    assessment.updated_at = now
    record_audit(
        session,
        actor_id,
        "assessment.reopen",
        "assessment",
        assessment.id,
        old,
        {"state": AssessmentState.IN_PROGRESS, "reopened_until": until},
        reason,
        now,
    )
    session.flush()
    return plan_deliveries(session, schedule, now, cycle)


def later_reminder_due(session: Session, delivery: Delivery, now: datetime) -> bool:
    """Whether a later reminder of the same cycle to the same person is already due."""
    prefix = delivery.due_key.split(":", 1)[0] + ":"
    later = session.scalar(
        select(Delivery.id)
        .where(
            Delivery.kind == DeliveryKind.REMINDER,
            Delivery.recipient_telegram_id == delivery.recipient_telegram_id,
            Delivery.due_key.startswith(prefix, autoescape=True),
            Delivery.due_at > delivery.due_at,
            Delivery.due_at <= now,
            Delivery.state.not_in((DeliveryState.CANCELLED, DeliveryState.EXPIRED)),
        )
        .limit(1)
    )
    return later is not None


def owed_deliveries(session: Session, town_id: int, limit: int = 200) -> list[Delivery]:
    """The town's pending deliveries, soonest first (their payloads carry the town's id)."""
    pending = session.scalars(
        select(Delivery)
        .where(Delivery.state == DeliveryState.PENDING)
        .order_by(Delivery.due_at, Delivery.id)
    ).all()
    mine = [row for row in pending if row.payload.get("town_id") == town_id]
    return mine[:limit]
