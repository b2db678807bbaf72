"""The area chart: a valid PNG whose Chinese labels render, drawn without global pyplot state."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import matplotlib
import pytest
from matplotlib.font_manager import findfont
from matplotlib.ft2font import FT2Font
from PIL import Image

from handlers.chart import CJK_FONT_FAMILY, area_shares, cjk_font, render_area_chart
from scoring import BranchInput, default_rubric, score_branch

RUBRIC = default_rubric()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def half_answered(category: str = "rural") -> BranchInput:
    items = RUBRIC.items_for(category)
    answers = {item.id: "full" for item in items[::2]}
    answers.update({item.id: "partial" for item in items[1::4]})
    return BranchInput(category, answers)


def test_the_chart_is_a_png_of_960_by_540_pixels() -> None:
    png = render_area_chart(RUBRIC, score_branch(RUBRIC, half_answered()))

    image = Image.open(io.BytesIO(png))
    assert (png[:8], image.format, image.size) == (PNG_SIGNATURE, "PNG", (960, 540))


def test_rendering_chinese_labels_raises_no_missing_glyph_warning() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_area_chart(RUBRIC, score_branch(RUBRIC, half_answered()))

    assert [str(warning.message) for warning in caught] == []


def test_the_chart_font_resolves_to_the_bundled_cjk_face_that_has_every_area_title() -> None:
    path = findfont(cjk_font(), fallback_to_default=False)
    # A .ttc collection resolves to the file plus the index of the Simplified Chinese face.
    font = FT2Font(path, face_index=getattr(path, "face_index", 0))

    titles = "".join(area.title for area in RUBRIC.areas)
    assert font.family_name == CJK_FONT_FAMILY
    assert [c for c in titles if font.get_char_index(ord(c)) == 0] == []


@pytest.mark.parametrize("category", ["rural", "institution", "non_public", "retired"])
def test_area_shares_are_each_areas_score_over_its_full_marks(category: str) -> None:
    result = score_branch(RUBRIC, BranchInput(category, {}))

    shares = area_shares(RUBRIC, result)

    assert [title for title, *_ in shares] == [area.title for area in RUBRIC.areas]
    assert [percent for *_, percent in shares] == [Decimal(0)] * len(RUBRIC.areas)


def test_full_marks_are_a_share_of_100_percent() -> None:
    answers = {item.id: "full" for item in RUBRIC.items_for("rural")}
    result = score_branch(RUBRIC, BranchInput("rural", answers))

    assert {percent for *_, percent in area_shares(RUBRIC, result)} == {Decimal(100)}


def test_renders_in_parallel_threads_equal_the_sequential_render() -> None:
    results = [score_branch(RUBRIC, half_answered(c)) for c in ("rural", "retired")] * 3
    sequential = [render_area_chart(RUBRIC, result) for result in results]

    with ThreadPoolExecutor(max_workers=3) as pool:
        parallel = list(pool.map(lambda result: render_area_chart(RUBRIC, result), results))

    assert parallel == sequential


def test_rendering_leaves_pyplot_unimported_and_rc_params_unchanged() -> None:
    before = matplotlib.rcParams["font.sans-serif"][:]
    render_area_chart(RUBRIC, score_branch(RUBRIC, half_answered()))
    assert matplotlib.rcParams["font.sans-serif"] == before

    # Other tests may import pyplot in this process, so ask a fresh interpreter.
    script = (
        "import sys; from handlers.chart import render_area_chart; "
        "from scoring import BranchInput, default_rubric, score_branch; "
        "r = default_rubric(); render_area_chart(r, score_branch(r, BranchInput('rural', {}))); "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert completed.stdout.strip() == "False"
