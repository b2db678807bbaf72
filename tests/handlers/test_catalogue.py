"""The text catalogue: every key the code uses exists, and no handler holds Chinese text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from handlers.catalogue import CatalogueError, has_key, keys, placeholders, text
from storage.models import AssessmentState

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
BOT = HANDLERS.parent / "bot"
# CJK ideographs and the full-width punctuation Chinese text carries.
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


def python_sources() -> list[Path]:
    return sorted([*HANDLERS.rglob("*.py"), BOT / "app.py"])


def string_constants(path: Path) -> list[str]:
    """Every string literal in a module, docstrings excepted."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def used_keys() -> set[str]:
    """Catalogue keys passed literally to `text(...)` / `say(...)` anywhere in the code."""
    found = set()
    for path in python_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) in {"text", "say"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("path", python_sources(), ids=lambda path: path.name)
def test_no_handler_module_contains_chinese_literals(path: Path) -> None:
    chinese = [value for value in string_constants(path) if CHINESE.search(value)]

    assert chinese == []


def test_every_key_used_in_the_code_exists() -> None:
    missing = sorted(key for key in used_keys() if KEY.match(key) and not has_key(key))

    assert missing == []


def test_the_code_uses_many_keys() -> None:
    # Guards the test above against a parser change that would find nothing to check.
    assert len(used_keys()) > 50


@pytest.mark.parametrize(
    ("key", "params", "expected"),
    [
        ("binding.already_bound", {"branch": "东村党支部"}, "您已绑定「东村党支部」"),
        ("assessment.chosen", {"label": "完全做到"}, "✓ 完全做到"),
        ("reminders.days_left", {"days": 3}, "还剩 3 天"),
    ],
)
def test_text_fills_placeholders(key: str, params: dict[str, object], expected: str) -> None:
    assert text(key, **params).startswith(expected)


def test_a_missing_key_raises_naming_it() -> None:
    with pytest.raises(CatalogueError, match=r"binding\.nope"):
        text("binding.nope")


def test_a_missing_placeholder_raises_naming_it() -> None:
    with pytest.raises(CatalogueError, match="'branch'"):
        text("binding.already_bound")


def test_nested_keys_are_joined_with_dots() -> None:
    assert {"assessment.button.skip", "status.state.submitted"} <= keys()
    assert placeholders("assessment.card") >= {"area", "number", "total"}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (AssessmentState.IN_PROGRESS, "自评中"),
        (AssessmentState.OVERDUE, "逾期未申报，自评已锁定，请联系镇党委"),
        (AssessmentState.SUBMITTED, "已申报，待镇党委考评"),
        (AssessmentState.RETURNED, "镇党委已退回，请修改后重新申报"),
        (AssessmentState.REVIEWED, "镇党委已考评，待党委会议研究确定等次"),
        (AssessmentState.TOWN_DECIDED, "镇党委已研究确定等次，待统一命名"),
        (AssessmentState.RECOMMENDED, "已推荐为五星级，待县级复核"),
        (AssessmentState.COUNTY_APPROVED, "县级复核通过，待命名为五星级党支部"),
        (AssessmentState.COUNTY_REJECTED, "县级复核未通过五星级，待镇党委确定等次"),
        (AssessmentState.NAMED, "已统一命名，等次以镇党委通知为准"),
    ],
)
def test_every_assessment_state_has_a_status_label(state: AssessmentState, expected: str) -> None:
    assert text(f"status.state.{state.value}", top_level="五星级") == expected


def test_the_status_labels_cover_exactly_the_assessment_states() -> None:
    labelled = {
        key.removeprefix("status.state.") for key in keys() if key.startswith("status.state.")
    }
    assert labelled == {state.value for state in AssessmentState}


@pytest.mark.parametrize(
    ("key", "params", "expected"),
    [
        ("assessment.button.previous", {}, "⬅ 上一项"),
        ("assessment.button.back", {}, "↩ 返回当前项"),
        ("summary.gates_heading", {"level": "五星级"}, "【不得评定为五星级的原因】"),
        ("summary.next_heading", {}, "【晋位升级】"),
        ("summary.needed_bottom", {"level": "一星级"}, "一星级：无论评议得分多少均可达到"),
    ],
)
def test_the_secretary_reads_the_seed_s_own_words(
    key: str, params: dict[str, object], expected: str
) -> None:
    assert text(key, **params) == expected


def test_the_texts_say_item_each_time_the_suggested_evidence_and_who_reviews() -> None:
    card = text(
        "assessment.card",
        area="班子建设",
        item_text="按期换届",
        points="3",
        evidence_hint="换届批复",
        answer="未作答",
        evidence_count=0,
        number=1,
        total=38,
        score="0",
        basic_total="100",
        answered=0,
    )
    menu = text("claims.menu", bonus_cap="20", deduction_min="20", claims="（暂无）")
    assumption = text("summary.provisional_assumption", assumed_review="88")
    assert "建议佐证材料：换届批复" in card.splitlines()
    assert "加分项累计一般不超过 20 分；减分项每次不少于 20 分。" in menu.splitlines()
    assert assumption.endswith("实际评议得分由上级党组织和党员大会在述职评议中给出。")
    every_text = "".join(text(k, **{name: "" for name in placeholders(k)}) for k in keys())
    assert [word for word in ("上一题", "当前题", "每项不少于") if word in every_text] == []
