"""/review: the town officer's dashboard and branch list, and the preamble of every review press.

Kinds (see `handlers.callbacks.Kind`): REVIEW_HOME and REVIEW_LIST carry a town id and only
read; REVIEW_BRANCH, REVIEW_EVIDENCE and REVIEW_ITEM carry an assessment id and only read;
REVIEW_RESCORE, REVIEW_AWARD, REVIEW_MARK and REVIEW_RETURN carry an assessment id and the
assessment's version marker, and write. Every press is decoded strictly, its town looked up
from the database, and the presser's `town` grant on that town checked again; anything else
(a secretary, another town's officer, forged data) gets one polite refusal and changes nothing.
Typed input (the review score, a reason) goes through commands in `handlers.review_input`.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.callbacks import CallbackData, CallbackDataError, Kind, decode, make_marker
from handlers.cards import Screen, button
from handlers.catalogue import has_key, text
from handlers.context import Context
from handlers.uow import (
    AnswerQuery,
    EditMessage,
    SendMessage,
    SendPhoto,
    Work,
    run_unit_of_work,
)
from scoring import Rubric
from storage.models import (
    Assessment,
    Cycle,
    Role,
    Town,
)
from storage.repositories import current_cycle, cycle_rubric, find_person, has_role, list_roles
from storage.repositories.town_review import (
    BranchReview,
    Finalization,
    current_levels,
    town_review,
)

__all__ = [
    "FILTERS",
    "TOWN_MARKER",
    "ButtonCallback",
    "Officer",
    "branch_press",
    "checked_callback",
    "dashboard_screen",
    "decode_press",
    "edit_here",
    "marker_of",
    "officer_for",
    "on_branch_press",
    "on_town_press",
    "reason_text",
    "refuse",
    "show_branches",
    "show_dashboard",
    "start_review",
    "town_press",
]

logger = logging.getLogger(__name__)

PAGE_SIZE = 8
# Town screens only read, so their buttons carry no version.
TOWN_MARKER = "0"
FILTERS = ("all", "submitted", "reviewed", "returned", "in_progress", "not_started", "overdue")


@dataclass(frozen=True)
class Officer:
    """A person holding the town role, with the town and the cycle the press is about."""

    person_id: int
    town: Town
    cycle: Cycle
    rubric: Rubric
    session: Session


def reason_text(rubric: Rubric, code: str) -> str:
    """A reason code in words: a gate's own label from the rubric, else the catalogue's."""
    gate = next((gate for gate in rubric.gates if gate.key == code), None)
    if gate is not None and gate.label is not None:
        return gate.label
    key = f"review.reason.{code}"
    return text(key) if has_key(key) else code


def refuse(work: Work) -> None:
    """The one polite refusal, as a toast on a press or a message otherwise."""
    if work.update.callback_query is not None:
        work.reply(AnswerQuery(text("common.refused"), alert=True))
    else:
        work.say("review.not_reviewer")


def officer_for(work: Work, town_id: int, cycle: Cycle | None = None) -> Officer | None:
    """The presser as an officer of `town_id`, checked on the database now; None refuses."""
    person = find_person(work.session, work.telegram_id)
    if person is None or not has_role(work.session, work.telegram_id, Role.TOWN, town_id):
        logger.warning("user %s is no reviewer of town %s", work.telegram_id, town_id)
        return None
    town = work.session.get(Town, town_id)
    cycle = cycle if cycle is not None else current_cycle(work.session, town_id)
    if town is None or cycle is None:
        return None
    return Officer(person.id, town, cycle, cycle_rubric(cycle), work.session)


def decode_press(work: Work) -> CallbackData | None:
    query = work.update.callback_query
    try:
        return decode(query.data if query else None)
    except CallbackDataError as error:
        logger.warning("refused callback data from %s: %s", work.telegram_id, error)
        return None


def town_press(work: Work, *, any_marker: bool = False) -> tuple[CallbackData, Officer] | None:
    """Decodes a town screen's press and checks the role; refuses otherwise.

    Args:
        any_marker: the caller checks the marker itself (a snapshot, not `TOWN_MARKER`).
    """
    data = decode_press(work)
    officer = officer_for(work, data.assessment_id) if data is not None else None
    if data is None or officer is None or not (any_marker or data.marker == TOWN_MARKER):
        refuse(work)
        return None
    return data, officer


def branch_press(work: Work) -> tuple[CallbackData, Officer, Assessment] | None:
    """Decodes a branch screen's press, loads its assessment and checks the role."""
    data = decode_press(work)
    assessment = work.session.get(Assessment, data.assessment_id) if data is not None else None
    cycle = work.session.get(Cycle, assessment.cycle_id) if assessment is not None else None
    officer = officer_for(work, cycle.town_id, cycle) if cycle is not None else None
    if data is None or assessment is None or officer is None:
        refuse(work)
        return None
    return data, officer, assessment


TownAction = Callable[[Work, CallbackData, Officer], None]
BranchAction = Callable[[Work, CallbackData, Officer, Assessment], None]
ButtonCallback = Callable[[Update, Context], Coroutine[Any, Any, None]]


def on_town_press(*, any_marker: bool = False) -> Callable[[TownAction], ButtonCallback]:
    """Turns a town screen's action into its button callback: one unit of work, and the press
    decoded and the town role checked (`town_press`) before the action runs."""
    return lambda action: checked_callback(
        functools.partial(town_press, any_marker=any_marker), action
    )


def on_branch_press() -> Callable[[BranchAction], ButtonCallback]:
    """Turns a branch screen's action into its button callback (see `branch_press`)."""
    return lambda action: checked_callback(branch_press, action)


def checked_callback(
    check: Callable[[Work], tuple[Any, ...] | None], action: Callable[..., None]
) -> ButtonCallback:
    """The callback running `action` with what `check` found, when it found the press good."""

    def checked(work: Work) -> None:
        press = check(work)
        if press is not None:
            action(work, *press)

    @functools.wraps(action)
    async def callback(update: Update, context: Context) -> None:
        await run_unit_of_work(update, context, checked)

    return callback


def marker_of(officer: Officer, assessment: Assessment) -> str:
    return make_marker(assessment.version, officer.cycle.rubric_sha256)


def edit_here(work: Work, screen: Screen) -> None:
    message = work.update.effective_message
    if message is not None:
        work.reply(EditMessage(message.chat_id, message.message_id, screen))


# --- the dashboard and the list --------------------------------------------------------------


async def start_review(update: Update, context: Context) -> None:
    """Sends each town the officer reviews its dashboard (/review)."""
    await run_unit_of_work(update, context, _start_review)


def _start_review(work: Work) -> None:
    person = find_person(work.session, work.telegram_id)
    grants = list_roles(work.session, Role.TOWN) if person is not None else []
    town_ids = [grant.org_id for grant in grants if person and grant.person_id == person.id]
    if not town_ids:
        work.say("review.not_reviewer")
        return
    for town_id in town_ids:
        officer = officer_for(work, town_id)
        if officer is None:
            town = work.session.get(Town, town_id)
            work.say("review.no_cycle", town=town.name if town else "")
            continue
        work.reply(SendMessage(work.chat_id, dashboard_screen(work, officer)))
        work.reply(SendPhoto(work.chat_id, _level_chart(work, officer)))


def _level_chart(work: Work, officer: Officer) -> Callable[[], bytes]:
    """The branches per level, read now and drawn after the commit."""
    from handlers.review_chart import render_level_chart

    reviewed, provisional = _level_counts(officer, current_levels(work.session, officer.cycle))
    bars = [
        (level.label, reviewed.get(level.stars, 0), provisional.get(level.stars, 0))
        for level in officer.rubric.levels
    ]
    town = officer.town.name
    return lambda: render_level_chart(town, bars)


def _level_counts(officer: Officer, levels: Finalization) -> tuple[Counter[int], Counter[int]]:
    """Branches per level: the town's level where there is one, else the self-assessed one.

    Returns:
        The reviewed levels, and the provisional levels of the branches not reviewed yet.
    """
    reviewed: Counter[int] = Counter()
    provisional: Counter[int] = Counter()
    for row in levels.rows:
        if row.reviewed_stars is not None:
            reviewed[row.reviewed_stars] += 1
        elif row.review.assessment is not None:
            stars = row.review.declared.provisional.stars
            if stars is not None:
                provisional[stars] += 1
    return reviewed, provisional


def _distribution(officer: Officer, counts: Counter[int]) -> str:
    """`五星级 2，四星级 3`, highest first, or 暂无."""
    return text("review.list_separator").join(
        text("review.distribution_item", label=officer.rubric.level(stars).label, count=count)
        for stars, count in sorted(counts.items(), reverse=True)
    ) or text("review.distribution_none")


@on_town_press()
def show_dashboard(work: Work, data: CallbackData, officer: Officer) -> None:
    """Shows the town's dashboard again on the pressed message."""
    edit_here(work, dashboard_screen(work, officer))


def dashboard_screen(work: Work, officer: Officer) -> Screen:
    """Counts by state, the reviewed levels so far, and the five-star places used."""
    from storage.repositories import town_progress

    levels = current_levels(work.session, officer.cycle)
    states: dict[str, int] = {}
    for row in levels.rows:
        states[row.review.state] = states.get(row.review.state, 0) + 1
    unbound = sum(1 for p in town_progress(work.session, officer.town.id, None) if not p.bound)
    counts, provisional = _level_counts(officer, levels)
    top = officer.rubric.levels[0].stars
    by_state: dict[str, Any] = {state: states.get(state, 0) for state in FILTERS if state != "all"}
    body = text(
        "review.dashboard",
        town=officer.town.name,
        year=officer.cycle.year,
        distribution=_distribution(officer, counts),
        provisional=_distribution(officer, provisional),
        five_used=counts.get(top, 0),
        five_limit=levels.limits.get(top, "-"),
        unbound=unbound,
        **by_state,
    )
    town_id = officer.town.id
    keyboard = InlineKeyboardMarkup(
        [
            [
                button(
                    text("review.button.branches"),
                    Kind.REVIEW_LIST,
                    town_id,
                    TOWN_MARKER,
                    "all",
                    1,
                ),
                button(
                    text("review.state.submitted"),
                    Kind.REVIEW_LIST,
                    town_id,
                    TOWN_MARKER,
                    "submitted",
                    1,
                ),
            ],
            [
                button(text("review.button.ranking"), Kind.REVIEW_RANKING, town_id, TOWN_MARKER),
                button(text("review.button.refresh"), Kind.REVIEW_HOME, town_id, TOWN_MARKER),
            ],
        ]
    )
    return Screen(body, keyboard)


@on_town_press()
def show_branches(work: Work, data: CallbackData, officer: Officer) -> None:
    """Shows one page of the town's branches, filtered by state."""
    state, page_text = data.args
    if state not in FILTERS or not page_text.isdigit() or int(page_text) < 1:
        refuse(work)
        return
    edit_here(work, _list_screen(work, officer, state, int(page_text)))


def _list_screen(work: Work, officer: Officer, state: str, page: int) -> Screen:
    reviews = [
        review
        for review in town_review(work.session, officer.cycle)
        if state == "all" or review.state == state
    ]
    pages = max(1, -(-len(reviews) // PAGE_SIZE))
    page = min(page, pages)
    shown = reviews[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    town_id = officer.town.id
    lines = [
        text(
            "review.list_title",
            town=officer.town.name,
            filter=text(f"review.state.{state}"),
            page=page,
            pages=pages,
            count=len(reviews),
        )
    ]
    rows: list[list[InlineKeyboardButton]] = []
    for review in shown:
        label = text(
            "review.list_row",
            branch=review.branch.name,
            state=text(f"review.state.{review.state}"),
            stars=_stars_note(officer, review),
        )
        lines.append(label)
        if review.assessment is not None:
            rows.append([button(label, Kind.REVIEW_BRANCH, review.assessment.id, TOWN_MARKER)])
    if not reviews:
        lines.append(text("review.list_empty"))
    navigation = []
    if page > 1:
        navigation.append(
            button(
                text("review.button.previous_page"),
                Kind.REVIEW_LIST,
                town_id,
                TOWN_MARKER,
                state,
                page - 1,
            )
        )
    if page < pages:
        navigation.append(
            button(
                text("review.button.next_page"),
                Kind.REVIEW_LIST,
                town_id,
                TOWN_MARKER,
                state,
                page + 1,
            )
        )
    if navigation:
        rows.append(navigation)
    rows.append(
        [
            button(text(f"review.state.{key}"), Kind.REVIEW_LIST, town_id, TOWN_MARKER, key, 1)
            for key in ("all", "submitted", "reviewed", "returned")
            if key != state
        ]
    )
    rows.append(
        [button(text("review.button.back_to_dashboard"), Kind.REVIEW_HOME, town_id, TOWN_MARKER)]
    )
    return Screen("\n".join(lines), InlineKeyboardMarkup(rows))


def _stars_note(officer: Officer, review: BranchReview) -> str:
    """The reviewed level once there is a review score, else the self-assessed provisional one."""
    if review.review_score is not None and review.reviewed.stars is not None:
        return text(
            "review.list_reviewed", label=officer.rubric.level(review.reviewed.stars).label
        )
    provisional = review.declared.provisional.stars if review.assessment is not None else None
    if provisional is None:
        return ""
    return text("review.list_provisional", label=officer.rubric.level(provisional).label)
