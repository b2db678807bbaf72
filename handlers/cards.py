"""The item card and the contents (目录) screens: text and keyboard, from the rubric and answers.

Pure rendering: no database, no Bot API calls. The handlers load a `CardView` inside their
transaction and send what these functions return after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callbacks import Kind, encode
from handlers.catalogue import text
from scoring import Item, Rubric, basic_score, format_decimal

__all__ = [
    "CardView",
    "Screen",
    "back_row",
    "basic_points",
    "button",
    "format_points",
    "item_number",
    "render_area",
    "render_card",
    "render_contents",
]

# Item texts run to 60 characters; a button shows about 20 on a phone.
_ITEM_BUTTON_CHARS = 18


@dataclass(frozen=True)
class Screen:
    """A message to send or edit: plain text (no parse_mode) and its inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class CardView:
    """What the card shows about one assessment.

    Attributes:
        assessment_id: travels in every button.
        marker: the assessment's version marker (see `handlers.callbacks.make_marker`).
        items: the items of the branch's category, in rubric order.
        answers: the secretary's answer level per item id.
        index: 0-based position of the current item in `items`.
        evidence_count: pieces of evidence attached to the current item.
    """

    assessment_id: int
    marker: str
    items: tuple[Item, ...]
    answers: Mapping[str, str]
    index: int
    evidence_count: int = 0

    @property
    def item(self) -> Item:
        """The item the card is on."""
        return self.items[self.index]

    @property
    def answered(self) -> int:
        """How many of the category's items have an answer."""
        return sum(1 for item in self.items if item.id in self.answers)


def format_points(value: Decimal) -> str:
    """Formats points without trailing zeros or exponent: `1.50` → `1.5`, `1E+1` → `10`."""
    return format_decimal(value)


def button(
    label: str, kind: Kind, view_id: int, marker: str, *args: object
) -> InlineKeyboardButton:
    """Builds one callback button for an assessment."""
    return InlineKeyboardButton(label, callback_data=encode(kind, view_id, marker, *args))


def item_number(items: tuple[Item, ...], item_id: str | None) -> int:
    """Returns the 0-based position of `item_id` in `items`, or 0 when it is not there."""
    for index, item in enumerate(items):
        if item.id == item_id:
            return index
    return 0


def basic_points(rubric: Rubric, items: tuple[Item, ...], answers: Mapping[str, str]) -> Decimal:
    """The basic score of the secretary's answers to the category's `items`, as scoring adds it."""
    return basic_score(rubric, items, answers)


def render_card(rubric: Rubric, view: CardView) -> Screen:
    """Renders the item card: area, item, points, evidence hint, progress and the buttons."""
    item = view.item
    area = rubric.area(item.area)
    chosen = view.answers.get(item.id)
    if chosen is None:
        answer = text("assessment.unanswered")
    else:
        answer = text(
            "assessment.answered",
            label=rubric.answer_level(chosen).label,
            points=format_points(rubric.answer_scores(item.id)[chosen]),
        )
    body = text(
        "assessment.card",
        area=area.title,
        item_text=item.text,
        points=format_points(item.points),
        evidence_hint=item.evidence_hint,
        answer=answer,
        evidence_count=view.evidence_count,
        number=view.index + 1,
        total=len(view.items),
        score=format_points(basic_points(rubric, view.items, view.answers)),
        basic_total=format_points(rubric.basic_total),
        answered=view.answered,
    )
    return Screen(body, InlineKeyboardMarkup(_card_keyboard(rubric, view, chosen)))


def _card_keyboard(
    rubric: Rubric, view: CardView, chosen: str | None
) -> list[list[InlineKeyboardButton]]:
    """The card's buttons: answer levels, then navigation, then summary and submission."""
    number = view.index + 1
    ident, marker = view.assessment_id, view.marker
    levels = [
        button(
            text("assessment.chosen", label=level.label) if level.key == chosen else level.label,
            Kind.ANSWER,
            ident,
            marker,
            number,
            level.key,
        )
        for level in rubric.answer_levels
    ]
    return [
        levels,
        [
            button(text("assessment.button.previous"), Kind.PREVIOUS, ident, marker, number),
            button(text("assessment.button.skip"), Kind.SKIP, ident, marker, number),
            button(text("assessment.button.evidence"), Kind.EVIDENCE, ident, marker, number),
        ],
        [
            button(text("assessment.button.contents"), Kind.CONTENTS, ident, marker),
            button(text("assessment.button.summary"), Kind.SUMMARY, ident, marker),
            button(text("assessment.button.submit"), Kind.SUBMIT, ident, marker),
        ],
        [button(text("assessment.button.claims"), Kind.CLAIMS, ident, marker)],
    ]


def back_row(view: CardView) -> list[InlineKeyboardButton]:
    """The row that leads back to the current item."""
    return [button(text("assessment.button.back"), Kind.CARD, view.assessment_id, view.marker)]


def render_contents(rubric: Rubric, view: CardView) -> Screen:
    """Renders the contents: one button per area holding items of the branch's category."""
    rows = []
    for area in rubric.areas:
        area_items = [item for item in view.items if item.area == area.key]
        if not area_items:
            continue
        done = sum(1 for item in area_items if item.id in view.answers)
        label = text(
            "assessment.area_button", title=area.title, answered=done, total=len(area_items)
        )
        rows.append([button(label, Kind.AREA, view.assessment_id, view.marker, area.key)])
    rows.append(back_row(view))
    body = text(
        "assessment.contents", areas=len(rows) - 1, answered=view.answered, total=len(view.items)
    )
    return Screen(body, InlineKeyboardMarkup(rows))


def render_area(rubric: Rubric, view: CardView, area_key: str) -> Screen:
    """Renders one area's items as buttons that jump to them.

    Raises:
        KeyError: the area does not exist or holds none of the branch's items.
    """
    area = rubric.area(area_key)
    rows = []
    done = 0
    for number, item in enumerate(view.items, start=1):
        if item.area != area.key:
            continue
        answered = item.id in view.answers
        done += answered
        short = item.text.removeprefix(text("assessment.item_prefix_dropped"))
        if len(short) > _ITEM_BUTTON_CHARS:
            short = short[: _ITEM_BUTTON_CHARS - 1] + "…"
        mark = text("assessment.item_mark_done" if answered else "assessment.item_mark_open")
        label = text("assessment.item_button", mark=mark, number=number, text=short)
        rows.append([button(label, Kind.GOTO, view.assessment_id, view.marker, number)])
    if not rows:
        raise KeyError(f"area {area_key!r} holds none of the branch's items")
    total = len(rows)
    rows.append(
        [
            button(
                text("assessment.button.contents"), Kind.CONTENTS, view.assessment_id, view.marker
            ),
            *back_row(view),
        ]
    )
    body = text("assessment.area", title=area.title, answered=done, total=total)
    return Screen(body, InlineKeyboardMarkup(rows))
