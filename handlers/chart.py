"""The picture sent with the summary: each area's share of its full marks, as a bar chart.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs, so the labels would render as empty
boxes with a "Glyph missing" warning. The chart therefore registers the Noto Sans CJK collection
shipped by the `noto-cjk-sans-otc` package and passes its Simplified Chinese face to every text
element explicitly. Nothing here touches pyplot or `rcParams`: each call builds its own `Figure`
and Agg canvas, so two handlers may render at the same time from different threads. Rendering
takes tens of milliseconds: call it through `asyncio.to_thread` from a handler.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

import noto_cjk_sans_otc
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager

from handlers.catalogue import text
from handlers.summary import format_points

__all__ = ["CJK_FONT_FAMILY", "area_shares", "cjk_font", "render_area_chart"]

# The Simplified Chinese face of the collection: the JP/KR/TC faces carry the same characters with
# regional glyph shapes (e.g. 直, 骨), which a mainland reader notices.
CJK_FONT_FAMILY = "Noto Sans CJK SC"

# Width and height in inches at `_DPI`: 960 x 540 pixels, which Telegram shows without rescaling
# on a phone and which stays far below its 10 MB photo limit.
_FIGURE_SIZE = (8.0, 4.5)
_DPI = 120

# Bar colours by share of full marks, highest threshold first: green for what already meets the
# five-star bar (90%), amber for the middle, red for what most needs work.
_COLOURS = ((Decimal(90), "#2e7d32"), (Decimal(60), "#f9a825"), (Decimal(0), "#c62828"))

_font_lock = threading.Lock()
_font_registered = False


class _AreaScore(Protocol):
    key: str
    scored: Decimal
    full: Decimal


class _Area(Protocol):
    key: str
    title: str


class _Rubric(Protocol):
    def area(self, key: str) -> _Area: ...


class _Result(Protocol):
    areas: Sequence[_AreaScore]


def cjk_font() -> FontProperties:
    """Returns font properties that render Chinese, registering the bundled font once.

    Returns:
        A `FontProperties` naming the Simplified Chinese Noto face first and DejaVu Sans as a
        fallback for anything the CJK face lacks.
    """
    global _font_registered
    # The font manager is process-wide; the lock keeps two first renders from adding the
    # collection twice.
    with _font_lock:
        if not _font_registered:
            fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
            _font_registered = True
    return FontProperties(family=[CJK_FONT_FAMILY, "DejaVu Sans"])


def area_shares(rubric: _Rubric, result: _Result) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """Lists each area's title, score, full marks and share of full marks in percent.

    Args:
        rubric: the rubric the result was scored on (gives the Chinese area titles).
        result: a `scoring.ScoreResult`; its `areas` are in rubric order.

    Returns:
        `(title, scored, full, percent)` per area, in rubric order; an area with no items for the
        branch's category has a share of 0.
    """
    shares = []
    for area_score in result.areas:
        full = area_score.full
        percent = area_score.scored * 100 / full if full else Decimal(0)
        shares.append((rubric.area(area_score.key).title, area_score.scored, full, percent))
    return shares


def _colour(percent: Decimal) -> str:
    """Picks the bar colour for a share of full marks."""
    return next(colour for threshold, colour in _COLOURS if percent >= threshold)


def render_area_chart(rubric: _Rubric, result: _Result) -> bytes:
    """Draws the six areas' share of full marks as a horizontal bar chart.

    Args:
        rubric: the rubric the result was scored on.
        result: a `scoring.ScoreResult`.

    Returns:
        The chart as PNG bytes.
    """
    font = cjk_font()
    shares = area_shares(rubric, result)
    figure = Figure(figsize=_FIGURE_SIZE, dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Rubric order reads top to bottom, as in the summary text.
    positions = list(range(len(shares)))[::-1]
    percents = [float(percent) for _, _, _, percent in shares]
    axes.barh(positions, percents, color=[_colour(p) for _, _, _, p in shares], height=0.6)
    axes.set_yticks(positions, labels=[title for title, *_ in shares], fontproperties=font)
    axes.set_xlim(0, 118)  # room right of a full bar for its label
    axes.set_xticks(range(0, 101, 20))
    for position, (_, scored, full, percent) in zip(positions, shares, strict=True):
        label = text(
            "summary.chart_bar_label",
            scored=format_points(scored),
            full=format_points(full),
            percent=format_points(percent.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        )
        axes.text(float(percent) + 1.5, position, label, va="center", fontproperties=font)
    axes.set_xlabel(text("summary.chart_axis"), fontproperties=font)
    axes.set_title(text("summary.chart_title"), fontproperties=font)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
