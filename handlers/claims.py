"""Bonus (加分项) and deduction (减分项) declarations: kind and points by button, reason by text.

Callback-data kinds handled here: CLAIMS (the menu), BONUS_KIND, BONUS_POINTS, DEDUCTION_KIND,
CANCEL_INPUT. The "waiting for a reason" state is the claim row itself: a declared claim whose
reason is still empty is the question the next text message answers, so it survives restarts.
"""

from __future__ import annotations

from decimal import Decimal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.callbacks import CallbackData, Kind
from handlers.cards import Screen, back_row, button, format_points
from handlers.catalogue import text
from handlers.context import Context
from handlers.sitting import Sitting, load_sitting, on_press, show_here
from handlers.uow import AnswerQuery, SendMessage, Work, run_unit_of_work
from scoring.model import Kind as ClaimKind
from storage.models import Claim, ClaimDirection
from storage.repositories import (
    add_claim,
    claims_of,
    drop_pending_claim,
    pending_claim,
    set_claim_reason,
)

__all__ = [
    "BONUS_POINT_CHOICES",
    "MAX_REASON_CHARACTERS",
    "cancel_input",
    "cancel_pending",
    "choose_bonus_kind",
    "choose_bonus_points",
    "choose_deduction_kind",
    "show_claims",
    "take_reason",
]

# The seed awards bonus "case by case" within a cap of 20; these cover the usual asks.
BONUS_POINT_CHOICES = (1, 2, 3, 5, 8, 10, 15, 20)
MAX_REASON_CHARACTERS = 500


@on_press(writes=False)
def show_claims(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Shows the declared claims and the kinds that can be declared."""
    show_here(work, sitting, _menu(work, sitting))


def _menu(work: Work, sitting: Sitting) -> Screen:
    """The claims menu: what is declared, and a button per bonus and deduction kind."""
    rubric = sitting.rubric
    declared = [_line(sitting, claim) for claim in claims_of(work.session, sitting.assessment.id)]
    rows: list[list[InlineKeyboardButton]] = []
    if rubric.bonus is not None:
        rows += _kind_rows("claims.bonus_button", Kind.BONUS_KIND, sitting, rubric.bonus.kinds)
    rows += _kind_rows(
        "claims.deduction_button", Kind.DEDUCTION_KIND, sitting, rubric.deductions.kinds
    )
    rows.append(back_row(sitting.card_view()))
    body = text(
        "claims.menu",
        bonus_cap=format_points(rubric.bonus.cap) if rubric.bonus else 0,
        deduction_min=format_points(rubric.deductions.min_points),
        claims="\n".join(declared) or text("claims.none_yet"),
    )
    return Screen(body, InlineKeyboardMarkup(rows))


def _kind_rows(
    label_key: str, kind: Kind, sitting: Sitting, kinds: tuple[ClaimKind, ...]
) -> list[list[InlineKeyboardButton]]:
    """One button per claim kind, each on its own row."""
    ident, marker = sitting.assessment.id, sitting.marker
    return [
        [button(text(label_key, label=claim_kind.label), kind, ident, marker, claim_kind.key)]
        for claim_kind in kinds
    ]


def _line(sitting: Sitting, claim: Claim) -> str:
    """One declared claim as a line of the menu."""
    return text(
        "claims.claim_line",
        direction=text(f"claims.{claim.direction}"),
        kind=_kind_label(sitting, claim.direction, claim.kind),
        points=format_points(claim.points_claimed),
        reason=claim.reason or text("claims.no_reason"),
    )


def _kinds(sitting: Sitting, direction: str) -> tuple[ClaimKind, ...]:
    """The rubric's kinds for a direction (no bonus kinds when the rubric has no bonus)."""
    rubric = sitting.rubric
    if direction == ClaimDirection.BONUS:
        return rubric.bonus.kinds if rubric.bonus is not None else ()
    return rubric.deductions.kinds


def _kind_label(sitting: Sitting, direction: str, key: str) -> str:
    """The Chinese label of a kind key (the key itself if the rubric lost it)."""
    return next((kind.label for kind in _kinds(sitting, direction) if kind.key == key), key)


def _known_kind(sitting: Sitting, direction: str, key: str) -> bool:
    return any(kind.key == key for kind in _kinds(sitting, direction))


@on_press()
def choose_bonus_kind(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Asks how many points the chosen bonus kind is worth."""
    key = data.arg(0)
    bonus = sitting.rubric.bonus
    if bonus is None or not _known_kind(sitting, ClaimDirection.BONUS, key):
        work.refuse()
        return
    ident, marker = sitting.assessment.id, sitting.marker
    choices = [points for points in BONUS_POINT_CHOICES if points <= bonus.cap]
    rows = [
        [
            button(
                text("claims.points_button", points=points),
                Kind.BONUS_POINTS,
                ident,
                marker,
                key,
                points,
            )
            for points in choices[start : start + 4]
        ]
        for start in range(0, len(choices), 4)
    ]
    rows.append([button(text("claims.cancel_button"), Kind.CLAIMS, ident, marker)])
    body = text(
        "claims.points_question",
        kind=_kind_label(sitting, ClaimDirection.BONUS, key),
        bonus_cap=format_points(bonus.cap),
    )
    show_here(work, sitting, Screen(body, InlineKeyboardMarkup(rows)))


@on_press()
def choose_bonus_points(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Declares the bonus with the chosen points and asks for its reason."""
    key, points = data.arg(0), data.arg(1)
    bonus = sitting.rubric.bonus
    valid = (
        bonus is not None
        and _known_kind(sitting, ClaimDirection.BONUS, key)
        and points.isdigit()
        and int(points) in BONUS_POINT_CHOICES
        and int(points) <= bonus.cap
    )
    if not valid:
        work.refuse()
        return
    _declare(work, sitting, ClaimDirection.BONUS, key, Decimal(points))


@on_press()
def choose_deduction_kind(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Declares a deduction of the chosen kind (at the rubric's minimum) and asks why."""
    key = data.arg(0)
    if not _known_kind(sitting, ClaimDirection.DEDUCTION, key):
        work.refuse()
        return
    points = sitting.rubric.deductions.min_points
    _declare(work, sitting, ClaimDirection.DEDUCTION, key, points)


def _declare(
    work: Work, sitting: Sitting, direction: ClaimDirection, key: str, points: Decimal
) -> None:
    """Stores the claim without a reason (the pending question) and asks for the reason."""
    drop_pending_claim(work.session, sitting.assessment.id, sitting.person_id)
    add_claim(
        work.session,
        sitting.assessment.id,
        direction,
        key,
        points,
        None,
        sitting.person_id,
        work.now,
    )
    ident, marker = sitting.assessment.id, sitting.marker
    body = text(
        "claims.reason_question",
        direction=text(f"claims.{direction}"),
        kind=_kind_label(sitting, direction, key),
        points=format_points(points),
    )
    keyboard = InlineKeyboardMarkup(
        [[button(text("claims.cancel_button"), Kind.CANCEL_INPUT, ident, marker)]]
    )
    show_here(work, sitting, Screen(body, keyboard))


def take_reason(work: Work, sitting: Sitting, reason: str) -> bool:
    """Completes the pending claim with `reason`; False when no claim waits for one.

    Called by the text-message handler before it treats a text as an evidence note.
    """
    pending = pending_claim(work.session, sitting.assessment.id, sitting.person_id)
    if pending is None:
        return False
    if not reason:
        work.say("claims.reason_empty")
        return True
    set_claim_reason(work.session, pending, reason[:MAX_REASON_CHARACTERS])
    recorded = text(
        "claims.recorded",
        direction=text(f"claims.{pending.direction}"),
        kind=_kind_label(sitting, pending.direction, pending.kind),
        points=format_points(pending.points_claimed),
    )
    menu = _menu(work, sitting)
    work.reply(SendMessage(work.chat_id, Screen(f"{recorded}\n\n{menu.text}", menu.keyboard)))
    return True


@on_press()
def cancel_input(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Drops the claim waiting for its reason (the 取消 button) and shows the menu."""
    if drop_pending_claim(work.session, sitting.assessment.id, sitting.person_id):
        work.reply(AnswerQuery(text("claims.cancelled")))
    show_here(work, sitting, _menu(work, sitting))


async def cancel_pending(update: Update, context: Context) -> None:
    """/cancel: drops the claim waiting for its reason, if any."""
    await run_unit_of_work(update, context, _cancel_pending)


def _cancel_pending(work: Work) -> None:
    sitting = load_sitting(work)
    if sitting is None:
        return
    dropped = sitting.editable and drop_pending_claim(
        work.session, sitting.assessment.id, sitting.person_id
    )
    if dropped:
        work.say("claims.cancelled")
    else:
        work.say("claims.nothing_to_cancel")
