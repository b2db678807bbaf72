"""What a town officer types in /review: `/score`, `/rescore`, `/return`, `/claim`, `/deduct`.

No callback-data kinds: commands only. They act on the officer's open branch (the last branch
page opened, kept in the database), after checking the town role on that branch's town again.
Commands are registered before any text handler, so a secretary's evidence note is never taken
for one.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from handlers.cards import format_points
from handlers.catalogue import text
from handlers.review import ButtonCallback, Officer, checked_callback, officer_for
from handlers.review_branch import branch_category, branch_screen
from handlers.uow import SendMessage, Work
from storage.models import Assessment, Cycle, Role
from storage.repositories import find_person, list_roles
from storage.repositories.review import (
    ReviewError,
    decide_claim,
    enter_review_score,
    record_deduction,
    rescore_item,
    return_for_revision,
)
from storage.repositories.review_focus import focus_of
from storage.repositories.town_review import town_review

__all__ = [
    "decide_declared_claim",
    "enter_score",
    "record_review_deduction",
    "rescore_open_item",
    "return_branch",
]

logger = logging.getLogger(__name__)


def _focused(work: Work) -> tuple[Officer, Assessment] | None:
    """The officer and their open branch's assessment, or None after replying why not."""
    person = find_person(work.session, work.telegram_id)
    assessment_id = focus_of(work.session, person.id) if person is not None else None
    assessment = work.session.get(Assessment, assessment_id) if assessment_id else None
    cycle = work.session.get(Cycle, assessment.cycle_id) if assessment is not None else None
    officer = officer_for(work, cycle.town_id, cycle) if cycle is not None else None
    if person is not None and assessment is None and _reviews_somewhere(work, person.id):
        work.say("review.no_focus")
        return None
    if officer is None or assessment is None:
        work.say("review.not_reviewer")
        return None
    return officer, assessment


def on_open_branch(
    action: Callable[[Work, Officer, Assessment], None],
) -> ButtonCallback:
    """Turns a typed command's action into its callback: one unit of work, and the officer's
    open branch found and the town role checked (`_focused`) before the action runs."""
    return checked_callback(_focused, action)


def _reviews_somewhere(work: Work, person_id: int) -> bool:
    """Whether the person holds the town role anywhere (then a hint helps; else refuse)."""
    return any(grant.person_id == person_id for grant in list_roles(work.session, Role.TOWN))


def _words(work: Work) -> list[str]:
    """The words after the command, normalised (full-width digits and signs become ASCII)."""
    message = work.update.effective_message
    raw = unicodedata.normalize("NFKC", message.text or "") if message is not None else ""
    return raw.split()[1:]


def _number(word: str) -> Decimal | None:
    try:
        value = Decimal(word)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _done(work: Work, officer: Officer, assessment: Assessment, key: str) -> None:
    """Confirms, then sends the branch's page as it now stands."""
    work.say(key)
    work.reply(SendMessage(work.chat_id, branch_screen(work, officer, assessment)))


def _act(work: Work, action: Callable[[], None]) -> bool:
    """Runs a repository action; a refused one is answered plainly and changes nothing."""
    try:
        action()
    except ReviewError as error:
        logger.info("review action refused for %s: %s", work.telegram_id, error)
        work.say("review.action_failed")
        return False
    return True


@on_open_branch
def enter_score(work: Work, officer: Officer, assessment: Assessment) -> None:
    """Enters the open branch's review score: `/score 88.5` or `/score 好=30 较好=5 一般=1`."""
    words = _words(work)
    score = _number(words[0]) if len(words) == 1 else None
    ballots: dict[str, int] | None = None
    if score is None:
        ballots = _ballots(officer, words)
        if ballots is None:
            work.say("review.score_usage")
            return

    def enter() -> None:
        enter_review_score(
            work.session,
            assessment.id,
            officer.rubric,
            officer.person_id,
            work.now,
            score=score,
            ballots=ballots,
        )

    if _act(work, enter):
        _done(work, officer, assessment, "review.score_saved")


@on_open_branch
def rescore_open_item(work: Work, officer: Officer, assessment: Assessment) -> None:
    """Sets an item's reviewed score to any value to the cent: `/rescore 3 2.75`.

    The item card's buttons offer the usual shares of an item's points; this takes the rest.
    """
    words = _words(work)
    items = officer.rubric.items_for(branch_category(officer, assessment))
    number = int(words[0]) if words and words[0].isdigit() else 0
    score = _number(words[1]) if len(words) == 2 else None
    if not 1 <= number <= len(items) or score is None:
        work.say("review.rescore_usage", count=len(items))
        return
    item = items[number - 1]

    def set_score() -> None:
        rescore_item(
            work.session,
            assessment.id,
            officer.rubric,
            item.id,
            score,
            officer.person_id,
            work.now,
        )

    if _act(work, set_score):
        work.say("review.rescore_saved", number=number, score=format_points(score))
        work.reply(SendMessage(work.chat_id, branch_screen(work, officer, assessment)))


def _ballots(officer: Officer, words: list[str]) -> dict[str, int] | None:
    """Ballot counts written `好=30 较好=5`, by the rubric's labels or keys; None if malformed."""
    keys = {}
    for ballot in officer.rubric.review.ballots:
        keys[ballot.label] = ballot.key
        keys[ballot.key] = ballot.key
    counts: dict[str, int] = {}
    for word in words:
        label, _, count = word.partition("=")
        if label not in keys or not count.isdigit() or keys[label] in counts:
            return None
        counts[keys[label]] = int(count)
    return counts or None


@on_open_branch
def return_branch(work: Work, officer: Officer, assessment: Assessment) -> None:
    """Returns the open branch for revision: `/return 理由`."""
    reason = " ".join(_words(work))
    if not reason:
        work.say("review.return_needs_reason")
        return

    def give_back() -> None:
        return_for_revision(work.session, assessment.id, reason, officer.person_id, work.now)

    if _act(work, give_back):
        _done(work, officer, assessment, "review.returned")


@on_open_branch
def decide_declared_claim(work: Work, officer: Officer, assessment: Assessment) -> None:
    """Decides a declared claim otherwise than as declared, or refuses it with 0:
    `/claim 1 5 理由`."""
    words = _words(work)
    claims = _claims(work, officer, assessment)
    number = int(words[0]) if words and words[0].isdigit() else 0
    points = _number(words[1]) if len(words) > 1 else None
    if not 1 <= number <= len(claims) or points is None or len(words) < 3:
        work.say("review.claim_usage")
        return
    claim_id = claims[number - 1]

    def decide() -> None:
        decide_claim(
            work.session,
            claim_id,
            officer.rubric,
            points if points > 0 else None,
            officer.person_id,
            work.now,
            " ".join(words[2:]),
        )

    if _act(work, decide):
        _done(work, officer, assessment, "review.claim_saved")


def _claims(work: Work, officer: Officer, assessment: Assessment) -> list[int]:
    """The claim ids in the order the branch's page numbers them."""
    for review in town_review(work.session, officer.cycle):
        if review.assessment is not None and review.assessment.id == assessment.id:
            return [claim.id for claim in review.claims]
    return []


@on_open_branch
def record_review_deduction(work: Work, officer: Officer, assessment: Assessment) -> None:
    """Records a deduction the secretary did not declare: `/deduct 种类序号 分值 理由`."""
    words = _words(work)
    kinds = officer.rubric.deductions.kinds
    number = int(words[0]) if words and words[0].isdigit() else 0
    points = _number(words[1]) if len(words) > 1 else None
    if not 1 <= number <= len(kinds) or points is None or len(words) < 3:
        listing = text("review.kind_separator").join(
            f"{index}. {kind.label}" for index, kind in enumerate(kinds, 1)
        )
        work.say(
            "review.deduct_usage",
            kinds=listing,
            minimum=format_points(officer.rubric.deductions.min_points),
        )
        return

    def deduct() -> None:
        record_deduction(
            work.session,
            assessment.id,
            officer.rubric,
            kinds[number - 1].key,
            points,
            " ".join(words[2:]),
            officer.person_id,
            work.now,
        )

    if _act(work, deduct):
        _done(work, officer, assessment, "review.deduction_saved")
