"""A branch's page in /review: areas self vs reviewed, claims, the item card, and the actions.

Every press comes through `handlers.review.branch_press` (decoded strictly, the town role
checked on the database); a press that writes must also carry the assessment's current
version marker, or it is answered "此按钮已过期" and the page is shown afresh.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.callbacks import CallbackData, Kind
from handlers.cards import Screen, button, format_points
from handlers.catalogue import text
from handlers.context import Context
from handlers.review import (
    TOWN_MARKER,
    Officer,
    branch_press,
    edit_here,
    marker_of,
    on_branch_press,
    refuse,
)
from handlers.uow import AnswerQuery, Work, run_unit_of_work
from storage.models import (
    AnswerSource,
    Assessment,
    Branch,
    Claim,
    ClaimDirection,
    ClaimStatus,
    Evidence,
    EvidenceKind,
    ReviewScore,
)
from storage.repositories import answers_of, claims_of
from storage.repositories.review import (
    REVIEWABLE_STATES,
    ReviewError,
    decide_claim,
    mark_reviewed,
    rescore_item,
)
from storage.repositories.review_focus import set_focus
from storage.repositories.town_review import BranchReview, town_review

__all__ = [
    "award_claim",
    "branch_screen",
    "mark_branch_reviewed",
    "rescore",
    "resend_evidence",
    "show_branch",
    "show_item",
    "start_return",
]

logger = logging.getLogger(__name__)

# The scores an item card offers, as shares of the item's points; other scores are typed.
RESCORE_SHARES = (Decimal(1), Decimal("0.75"), Decimal("0.5"), Decimal("0.25"), Decimal(0))
_CENT = Decimal("0.01")


def _is_fresh(work: Work, data: CallbackData, officer: Officer, assessment: Assessment) -> bool:
    """Whether a writing press was built on the assessment as it is; else shows it afresh."""
    if data.marker == marker_of(officer, assessment):
        return True
    work.reply(AnswerQuery(text("common.stale_button")))
    edit_here(work, branch_screen(work, officer, assessment))
    return False


@on_branch_press()
def show_branch(work: Work, data: CallbackData, officer: Officer, assessment: Assessment) -> None:
    """Shows a branch's page and makes it the officer's open branch."""
    set_focus(work.session, officer.person_id, assessment.id, work.now)
    edit_here(work, branch_screen(work, officer, assessment))


def _review_of(work: Work, officer: Officer, assessment: Assessment) -> BranchReview:
    return next(
        review
        for review in town_review(work.session, officer.cycle)
        if review.assessment is not None and review.assessment.id == assessment.id
    )


def branch_screen(work: Work, officer: Officer, assessment: Assessment) -> Screen:
    """The areas (self vs reviewed), the four parts of the score, the claims, and actions."""
    review = _review_of(work, officer, assessment)
    rubric, declared, reviewed = officer.rubric, review.declared, review.reviewed
    none = text("review.none")
    lines = [
        text(
            "review.branch_page",
            branch=review.branch.name,
            category=rubric.category(review.branch.category).label,
            state=text(f"review.state.{review.state}"),
            declared=rubric.level(assessment.declared_stars).label
            if assessment.declared_stars
            else none,
            self_basic=format_points(declared.basic_100),
            reviewed_basic=format_points(reviewed.basic_100),
            bonus=format_points(reviewed.bonus),
            deduction=format_points(reviewed.deduction),
            review=format_points(reviewed.review) if reviewed.review is not None else none,
            total=reviewed.total if reviewed.total is not None else none,
            stars=rubric.level(reviewed.stars).label if reviewed.stars is not None else none,
        ),
        "",
    ]
    titles = {area.key: area.title for area in rubric.areas}
    for own, checked in zip(declared.areas, reviewed.areas, strict=True):
        if own.full:
            lines.append(
                text(
                    "review.area_line",
                    title=titles[own.key],
                    self_score=format_points(own.scored),
                    reviewed_score=format_points(checked.scored),
                    points=format_points(own.full),
                )
            )
    marker = marker_of(officer, assessment)
    rows: list[list[InlineKeyboardButton]] = []
    for number, claim in enumerate(review.claims, start=1):
        kinds = rubric.deductions.kinds
        if claim.direction == ClaimDirection.BONUS and rubric.bonus is not None:
            kinds = rubric.bonus.kinds
        kind = next((k.label for k in kinds if k.key == claim.kind), claim.kind)
        status = text(
            f"review.claim_status.{claim.status}",
            points=format_points(claim.points_awarded or Decimal(0)),
        )
        lines.append(
            f"{number}. "
            + text(
                "review.claim_line",
                direction=text(f"review.claim_direction.{claim.direction}"),
                kind=kind,
                claimed=format_points(claim.points_claimed),
                status=status,
            )
        )
        if claim.status == ClaimStatus.CLAIMED:
            rows.append(
                [
                    button(
                        text(
                            "review.button.award",
                            number=number,
                            points=format_points(claim.points_claimed),
                        ),
                        Kind.REVIEW_AWARD,
                        assessment.id,
                        marker,
                        claim.id,
                    )
                ]
            )
    lines += ["", text("review.typed_hint")]
    rows += [
        [
            button(text("review.button.items"), Kind.REVIEW_ITEM, assessment.id, marker, 1),
            button(text("review.button.evidence"), Kind.REVIEW_EVIDENCE, assessment.id, marker),
        ],
        [
            button(text("review.button.mark_reviewed"), Kind.REVIEW_MARK, assessment.id, marker),
            button(text("review.button.return"), Kind.REVIEW_RETURN, assessment.id, marker),
        ],
        [
            button(
                text("review.button.back_to_list"),
                Kind.REVIEW_LIST,
                officer.town.id,
                TOWN_MARKER,
                "all",
                1,
            )
        ],
    ]
    return Screen("\n".join(lines), InlineKeyboardMarkup(rows))


# --- the reviewer's item card ---------------------------------------------------------------


def _item_number(officer: Officer, assessment: Assessment, raw: str) -> int | None:
    """The 1-based item number, if it names one of the branch's items."""
    count = len(officer.rubric.items_for(branch_category(officer, assessment)))
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= count else None


def branch_category(officer: Officer, assessment: Assessment) -> str:
    """The category of the assessment's branch (read in the officer's transaction)."""
    category = officer.session.scalar(
        select(Branch.category).where(Branch.id == assessment.branch_id)
    )
    return category or ""


@on_branch_press()
def show_item(work: Work, data: CallbackData, officer: Officer, assessment: Assessment) -> None:
    """Shows one item: the secretary's answer, the reviewer's score, and scores to set."""
    number = _item_number(officer, assessment, data.arg(0))
    if number is None:
        refuse(work)
        return
    edit_here(work, item_screen(work, officer, assessment, number))


def item_screen(work: Work, officer: Officer, assessment: Assessment, number: int) -> Screen:
    """The reviewer's card for item `number` (1-based)."""

    items = officer.rubric.items_for(branch_category(officer, assessment))
    item = items[number - 1]
    own = answers_of(work.session, assessment.id).get(item.id)
    checked = answers_of(work.session, assessment.id, AnswerSource.REVIEWER).get(item.id)
    none = text("review.none")
    own_label = none
    if isinstance(own, str):
        level = officer.rubric.answer_level(own)
        own_label = text(
            "review.own_answer",
            label=level.label,
            points=format_points(item.points * level.fraction),
        )
    body = text(
        "review.item_card",
        number=number,
        total=len(items),
        text=item.text,
        points=format_points(item.points),
        own=own_label,
        reviewed=format_points(checked) if isinstance(checked, Decimal) else none,
        hint=item.evidence_hint,
        item_id=item.id,
    )
    marker = marker_of(officer, assessment)
    scores = sorted(
        {(item.points * share).quantize(Decimal("0.01")) for share in RESCORE_SHARES}, reverse=True
    )
    rows = [
        [
            button(
                format_points(score),
                Kind.REVIEW_RESCORE,
                assessment.id,
                marker,
                number,
                format_points(score),
            )
            for score in scores
        ]
    ]
    navigation = []
    if number > 1:
        navigation.append(
            button(
                text("review.button.previous_item"),
                Kind.REVIEW_ITEM,
                assessment.id,
                marker,
                number - 1,
            )
        )
    if number < len(items):
        navigation.append(
            button(
                text("review.button.next_item"),
                Kind.REVIEW_ITEM,
                assessment.id,
                marker,
                number + 1,
            )
        )
    if navigation:
        rows.append(navigation)
    rows.append(
        [button(text("review.button.back_to_branch"), Kind.REVIEW_BRANCH, assessment.id, marker)]
    )
    return Screen(body, InlineKeyboardMarkup(rows))


@on_branch_press()
def rescore(work: Work, data: CallbackData, officer: Officer, assessment: Assessment) -> None:
    """Sets the reviewer's score of an item to one the card offered."""
    number = _item_number(officer, assessment, data.arg(0))
    if number is None:
        refuse(work)
        return
    item = officer.rubric.items_for(branch_category(officer, assessment))[number - 1]
    offered = {format_points((item.points * s).quantize(Decimal("0.01"))) for s in RESCORE_SHARES}
    if data.arg(1) not in offered:
        refuse(work)
        return
    if not _is_fresh(work, data, officer, assessment):
        return
    try:
        rescore_item(
            work.session,
            assessment.id,
            officer.rubric,
            item.id,
            Decimal(data.arg(1)),
            officer.person_id,
            work.now,
        )
    except ReviewError:
        work.reply(AnswerQuery(_state_refusal(assessment), alert=True))
        return
    work.reply(AnswerQuery(text("common.ok")))
    edit_here(work, item_screen(work, officer, assessment, number))


def _state_refusal(assessment: Assessment) -> str:
    return text("review.not_reviewable", state=text(f"review.state.{assessment.state}"))


def _reviewable(work: Work, assessment: Assessment) -> bool:
    """Whether the assessment takes review actions; else says its state in a toast."""
    if assessment.state in REVIEWABLE_STATES:
        return True
    work.reply(AnswerQuery(_state_refusal(assessment), alert=True))
    return False


# --- claims, marking reviewed, returning ----------------------------------------------------


@on_branch_press()
def award_claim(work: Work, data: CallbackData, officer: Officer, assessment: Assessment) -> None:
    """Awards a claim as declared (a bonus in full, a deduction confirmed); other decisions
    are typed, with their reason."""
    claim_id = data.arg(0)
    claim = work.session.get(Claim, int(claim_id)) if claim_id.isdigit() else None
    if claim is None or claim.assessment_id != assessment.id:
        refuse(work)
        return
    if not _is_fresh(work, data, officer, assessment):
        return
    try:
        decide_claim(
            work.session,
            claim.id,
            officer.rubric,
            claim.points_claimed,
            officer.person_id,
            work.now,
        )
    except ReviewError as error:
        logger.info("claim award refused: %s", error)
        work.reply(AnswerQuery(text("review.award_refused"), alert=True))
        return
    work.reply(AnswerQuery(text("common.ok")))
    edit_here(work, branch_screen(work, officer, assessment))


@on_branch_press()
def mark_branch_reviewed(
    work: Work, data: CallbackData, officer: Officer, assessment: Assessment
) -> None:
    """Marks the branch reviewed once its review score is in and every claim decided."""
    if not _is_fresh(work, data, officer, assessment):
        return
    if not _reviewable(work, assessment):
        return
    has_score = work.session.scalar(
        select(ReviewScore.id).where(ReviewScore.assessment_id == assessment.id)
    )
    if has_score is None:
        work.reply(AnswerQuery(text("review.needs_review_score"), alert=True))
        return
    if any(
        claim.status == ClaimStatus.CLAIMED for claim in claims_of(work.session, assessment.id)
    ):
        work.reply(AnswerQuery(text("review.claims_waiting"), alert=True))
        return
    changed = mark_reviewed(work.session, assessment.id, officer.person_id, work.now)
    key = "review.marked_reviewed" if changed else "review.already_reviewed"
    work.reply(AnswerQuery(text(key)))
    edit_here(work, branch_screen(work, officer, assessment))


@on_branch_press()
def start_return(work: Work, data: CallbackData, officer: Officer, assessment: Assessment) -> None:
    """Asks for the reason of a return (typed: /return 理由) and opens the branch for it."""
    if not _reviewable(work, assessment):
        return
    set_focus(work.session, officer.person_id, assessment.id, work.now)
    work.reply(AnswerQuery(text("review.return_needs_reason"), alert=True))


# --- evidence -------------------------------------------------------------------------------


async def resend_evidence(update: Update, context: Context) -> None:
    """Re-sends the branch's evidence by the stored file ids, notes as text, after the commit."""
    found: list[Evidence] = []

    def action(work: Work) -> None:
        press = branch_press(work)
        if press is None:
            return
        _, _, assessment = press
        rows = work.session.scalars(
            select(Evidence).where(Evidence.assessment_id == assessment.id).order_by(Evidence.id)
        ).all()
        found.extend(rows)
        if not rows:
            work.reply(AnswerQuery(text("review.no_evidence"), alert=True))

    await run_unit_of_work(update, context, action)
    chat = update.effective_chat
    if chat is None:
        return
    for evidence in found:
        caption = evidence.item_id
        if evidence.kind == EvidenceKind.PHOTO and evidence.file_id:
            await context.bot.send_photo(chat.id, evidence.file_id, caption=caption)
        elif evidence.kind == EvidenceKind.DOCUMENT and evidence.file_id:
            await context.bot.send_document(chat.id, evidence.file_id, caption=caption)
        else:
            await context.bot.send_message(
                chat.id, text("review.evidence_note", item=caption, note=evidence.caption or "")
            )
