"""The picture sent with the /review dashboard: the town's branches per level.

Drawn like the summary's chart (`handlers.chart`): its own `Figure` and Agg canvas, the bundled
Simplified Chinese face for every label, run after the commit in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from handlers.catalogue import text
from handlers.chart import cjk_font

__all__ = ["render_level_chart"]

# The summary chart's size and resolution: 960 x 540 pixels.
_FIGURE_SIZE = (8.0, 4.5)
_DPI = 120
_BAR_COLOUR = "#c62828"
_PROVISIONAL_COLOUR = "#ef9a9a"


def render_level_chart(town: str, counts: Sequence[tuple[str, int, int]]) -> bytes:
    """Draws how many branches each level holds: reviewed, and self-assessed on top of them.

    Args:
        town: the town's name, for the title.
        counts: `(level label, reviewed branches, provisional branches)` in the order to show,
            e.g. 五星级 first.

    Returns:
        The chart as PNG bytes.
    """
    font = cjk_font()
    figure = Figure(figsize=_FIGURE_SIZE, dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(counts)))
    reviewed = [count for _, count, _ in counts]
    provisional = [count for _, _, count in counts]
    totals = [first + second for first, second in zip(reviewed, provisional, strict=True)]
    axes.bar(
        positions, reviewed, color=_BAR_COLOUR, width=0.6, label=text("review.chart_reviewed")
    )
    axes.bar(
        positions,
        provisional,
        bottom=reviewed,
        color=_PROVISIONAL_COLOUR,
        width=0.6,
        label=text("review.chart_provisional"),
    )
    axes.set_xticks(positions, labels=[label for label, _, _ in counts], fontproperties=font)
    # Branches are whole: no 0.2-branch ticks when a town has only a few.
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max([*totals, 1]) * 1.2)
    for position, total in zip(positions, totals, strict=True):
        axes.text(position, total, str(total), ha="center", va="bottom", fontproperties=font)
    axes.legend(prop=font, frameon=False)
    axes.set_ylabel(text("review.chart_axis"), fontproperties=font)
    axes.set_title(text("review.chart_title", town=town), fontproperties=font)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
