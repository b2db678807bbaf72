"""/review's ranking and finalising (党委会议研究), and the committee's decisions (`/decide`,
`/except`).

Kinds: REVIEW_RANKING (town id) shows what finalising would give now; REVIEW_FINALIZE (town id
and the ranking's snapshot marker) finalises, leaving out the branches the ranking named as not
reviewed. The snapshot marker digests every assessment's version and every decision of the
cycle: a confirmation pressed after anything changed is answered "此按钮已过期" and the ranking
is shown afresh, so the officer never confirms an outcome they did not see.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata

from sqlalchemy import select
from telegram import InlineKeyboardMarkup, Update

from handlers.callbacks import CallbackData, Kind
from handlers.cards import Screen, button
from handlers.catalogue import text
from handlers.context import Context
from handlers.review import (
    TOWN_MARKER,
    Officer,
    edit_here,
    officer_for,
    on_town_press,
    reason_text,
    refuse,
)
from handlers.uow import AnswerQuery, SendMessage, Work, run_unit_of_work
from storage.models import Assessment, CommitteeDecision, Cycle, DecisionKind, Role
from storage.repositories import find_person, list_roles
from storage.repositories.review import ReviewError, record_decision
from storage.repositories.review_focus import focus_of
from storage.repositories.town_review import (
    Finalization,
    FinalRow,
    current_levels,
    finalize_cycle,
)

__all__ = ["decide_tie", "finalize", "record_exception", "show_ranking"]

logger = logging.getLogger(__name__)


def _snapshot(work: Work, cycle: Cycle) -> str:
    """A digest of what finalising depends on: every assessment's version, every decision."""
    versions = work.session.execute(
        select(Assessment.id, Assessment.version)
        .where(Assessment.cycle_id == cycle.id)
        .order_by(Assessment.id)
    ).all()
    decisions = work.session.execute(
        select(CommitteeDecision.id, CommitteeDecision.decided_at)
        .where(CommitteeDecision.cycle_id == cycle.id)
        .order_by(CommitteeDecision.id)
    ).all()
    digest = hashlib.sha256(repr((versions, decisions)).encode("utf-8")).hexdigest()
    return digest[:12]


def _row_line(officer: Officer, rank: int, row: FinalRow) -> str:
    total = row.review.reviewed.total
    label = officer.rubric.level(row.reviewed_stars).label if row.reviewed_stars else ""
    if row.stars_before_quota not in (None, row.reviewed_stars):
        label = text(
            "review.moved",
            before=officer.rubric.level(row.stars_before_quota).label,
            after=label,
        )
    notes = [reason_text(officer.rubric, code) for code in row.reasons]
    note = text("review.note", notes=text("review.kind_separator").join(notes)) if notes else ""
    return (
        text(
            "review.ranking_row",
            rank=rank,
            branch=row.review.branch.name,
            total=total,
            label=label,
        )
        + note
    )


def ranking_screen(work: Work, officer: Officer, outcome: Finalization) -> Screen:
    """The ranking, the branches moved down, the ties, and the confirmation button."""
    top = officer.rubric.levels[0].stars
    lines = [
        text(
            "review.ranking_title",
            town=officer.town.name,
            year=officer.cycle.year,
            in_scope=outcome.in_scope,
            limit=outcome.limits.get(top, "-"),
        )
    ]
    ranked = [row for row in outcome.rows if row.stars_before_quota is not None]
    lines += [_row_line(officer, rank, row) for rank, row in enumerate(ranked, start=1)]
    if outcome.left_out:
        separator = text("review.list_separator")
        lines.append(text("review.left_out", branches=separator.join(outcome.left_out)))
    if outcome.problems:
        lines.append(text("review.ranking_problem"))
    lines.append(text("review.ranking_hint"))
    town_id = officer.town.id
    keyboard = InlineKeyboardMarkup(
        [
            [
                button(
                    text("review.button.finalize"),
                    Kind.REVIEW_FINALIZE,
                    town_id,
                    _snapshot(work, officer.cycle),
                )
            ],
            [
                button(
                    text("review.button.back_to_dashboard"), Kind.REVIEW_HOME, town_id, TOWN_MARKER
                )
            ],
        ]
    )
    return Screen("\n".join(lines), keyboard)


@on_town_press()
def show_ranking(work: Work, data: CallbackData, officer: Officer) -> None:
    """Shows the ranking finalising would give now (nothing is stored)."""
    edit_here(work, ranking_screen(work, officer, current_levels(work.session, officer.cycle)))


@on_town_press(any_marker=True)
def finalize(work: Work, data: CallbackData, officer: Officer) -> None:
    """Finalises the town's levels as the ranking showed them; audited, repeatable."""
    if data.marker != _snapshot(work, officer.cycle):
        work.reply(AnswerQuery(text("common.stale_button")))
        edit_here(work, ranking_screen(work, officer, current_levels(work.session, officer.cycle)))
        return
    view = current_levels(work.session, officer.cycle)
    try:
        outcome = finalize_cycle(
            work.session,
            officer.cycle,
            officer.person_id,
            work.now,
            leave_out=view.left_out,
        )
    except ReviewError as error:
        logger.info("finalising refused for %s: %s", work.telegram_id, error)
        work.reply(AnswerQuery(text("review.finalize_refused"), alert=True))
        return
    work.reply(AnswerQuery(text("review.finalized")))
    edit_here(work, ranking_screen(work, officer, outcome))


# --- the committee's decisions, typed -------------------------------------------------------


def _town_officer(work: Work) -> Officer | None:
    """The officer's town: that of the branch opened last, else their only town."""
    person = find_person(work.session, work.telegram_id)
    if person is None:
        return None
    focus = focus_of(work.session, person.id)
    assessment = work.session.get(Assessment, focus) if focus is not None else None
    if assessment is not None:
        cycle = work.session.get(Cycle, assessment.cycle_id)
        return officer_for(work, cycle.town_id, cycle) if cycle is not None else None
    towns = [g.org_id for g in list_roles(work.session, Role.TOWN) if g.person_id == person.id]
    return officer_for(work, towns[0]) if len(towns) == 1 else None


def _ranked_row(work: Work, officer: Officer) -> tuple[FinalRow, str] | None:
    """The row named by `/decide N reason` and the reason; None when malformed."""
    message = work.update.effective_message
    raw = unicodedata.normalize("NFKC", message.text or "") if message is not None else ""
    words = raw.split()
    if len(words) < 3 or not words[1].isdigit():
        return None
    outcome = current_levels(work.session, officer.cycle)
    ranked = [row for row in outcome.rows if row.stars_before_quota is not None]
    rank = int(words[1])
    if not 1 <= rank <= len(ranked):
        return None
    return ranked[rank - 1], " ".join(words[2:])


async def decide_tie(update: Update, context: Context) -> None:
    """Records the committee keeping a branch tied at the cut-off: `/decide 名次 理由`."""
    await run_unit_of_work(update, context, _decide_tie)


def _decide_tie(work: Work) -> None:
    _decide(work, DecisionKind.TIE)


async def record_exception(update: Update, context: Context) -> None:
    """Records the committee keeping a gated branch at its level: `/except 名次 理由`."""
    await run_unit_of_work(update, context, _record_exception)


def _record_exception(work: Work) -> None:
    _decide(work, DecisionKind.GATE_EXCEPTION)


def _decide(work: Work, kind: DecisionKind) -> None:
    officer = _town_officer(work)
    if officer is None:
        refuse(work)
        return
    named = _ranked_row(work, officer)
    if named is None:
        work.say("review.decide_usage")
        return
    row, reason = named
    stars = _decided_level(officer, row, kind)
    if stars is None or row.review.assessment is None:
        work.say("review.decide_not_applicable")
        return
    record_decision(
        work.session,
        officer.cycle.id,
        kind,
        reason,
        officer.person_id,
        work.now,
        assessment_id=row.review.assessment.id,
        stars=stars,
    )
    work.say("review.decided")
    outcome = current_levels(work.session, officer.cycle)
    work.reply(SendMessage(work.chat_id, ranking_screen(work, officer, outcome)))


def _decided_level(officer: Officer, row: FinalRow, kind: DecisionKind) -> int | None:
    """The level a decision keeps: the tied level, or the level a gated total reaches."""
    if kind is DecisionKind.TIE:
        return row.stars_before_quota if row.tie_at_cutoff else None
    total = row.review.reviewed.total
    gated = [code for code in row.reasons if code in row.review.reviewed.gates]
    if total is None or not gated:
        return None
    reached = [level.stars for level in officer.rubric.levels if total >= level.min_total]
    return max(reached) if reached else None
