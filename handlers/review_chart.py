"""The picture sent with the /review dashboard: the town's branches per reviewed level.

Drawn like the summary's chart (`handlers.chart`): its own `Figure` and Agg canvas, the bundled
Simplified Chinese face for every label, run after the commit in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from handlers.catalogue import text
from handlers.chart import cjk_font

__all__ = ["render_level_chart"]

# The summary chart's size and resolution: 960 x 540 pixels.
_FIGURE_SIZE = (8.0, 4.5)
_DPI = 120
_BAR_COLOUR = "#c62828"


def render_level_chart(town: str, counts: Sequence[tuple[str, int]]) -> bytes:
    """Draws how many branches each level holds (a column per level, highest first).

    Args:
        town: the town's name, for the title.
        counts: `(level label, branches)` in the order to show, e.g. 五星级 first.

    Returns:
        The chart as PNG bytes.
    """
    font = cjk_font()
    figure = Figure(figsize=_FIGURE_SIZE, dpi=_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(counts)))
    values = [count for _, count in counts]
    axes.bar(positions, values, color=_BAR_COLOUR, width=0.6)
    axes.set_xticks(positions, labels=[label for label, _ in counts], fontproperties=font)
    axes.set_ylim(0, max([*values, 1]) * 1.2)
    for position, value in zip(positions, values, strict=True):
        axes.text(position, value, str(value), ha="center", va="bottom", fontproperties=font)
    axes.set_ylabel(text("review.chart_axis"), fontproperties=font)
    axes.set_title(text("review.chart_title", town=town), fontproperties=font)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
