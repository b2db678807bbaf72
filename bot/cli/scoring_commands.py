"""`pingxing rubric show|check` and `pingxing score`: the scoring core on the command line.

These outputs are a contract other tools rely on (issue 2): JSON with decimals as strings, and on
bad input exit code 2 with one line per problem on stderr and nothing on stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from scoring import Rubric
    from scoring.model import Area

__all__ = ["register", "rubric_app"]

# Exit code for invalid input, as command-line tools conventionally use for usage errors.
EXIT_INVALID = 2
# Enough lines to fix a file in one pass; a flood of problems is summarised after these.
MAX_PROBLEM_LINES = 100

# Headings of the readable table; the rubric's own Chinese (titles, texts) comes from the rubric.
_TABLE_HEADINGS = {
    "basic_total": "基础项总分",
    "categories": "党支部领域",
    "answer_levels": "作答等次",
    "bonus": "加分项(累计上限 {cap})",
    "no_bonus": "加分项: 无",
    "deductions": "减分项(每次不少于 {min_points})",
    "ballots": "评议票",
    "weights": "权重: 考评 {assessment} / 评议 {review}",
    "total_cap": "总分上限: {cap}",
    "levels": "星级",
    "gates": "门槛: {label}, 最高评定为{level}",
    "quota": "比例上限",
    "spot_check": "抽查: {levels} 星各不低于 {fraction}",
    "applies_to": "适用",
    "all_categories": "全部",
}

rubric_app = typer.Typer(
    help="评分细则: show or check a rubric file.", no_args_is_help=True, add_completion=False
)

RubricOption = Annotated[
    Path | None,
    typer.Option("--rubric", help="Rubric YAML file; the built-in default rubric when omitted."),
]


def register(app: typer.Typer) -> None:
    """Adds the `rubric` sub-application and the `score` command to the application."""
    app.add_typer(rubric_app, name="rubric")
    app.command("score")(score)


def _fail(problems: list[str]) -> NoReturn:
    """Prints one problem per line on stderr (at most `MAX_PROBLEM_LINES`) and exits with 2."""
    for problem in problems[:MAX_PROBLEM_LINES]:
        typer.echo(problem, err=True)
    if len(problems) > MAX_PROBLEM_LINES:
        typer.echo(f"... and {len(problems) - MAX_PROBLEM_LINES} more problems", err=True)
    raise typer.Exit(code=EXIT_INVALID)


def _rubric_or_exit(path: Path | None) -> Rubric:
    """Loads the named rubric or the default one; exits with code 2 on a bad rubric."""
    from scoring import RubricError, default_rubric, load_rubric

    try:
        return default_rubric() if path is None else load_rubric(path)
    except RubricError as error:
        _fail(error.problems)


def _print_json(data: Any) -> None:
    """Prints JSON with Chinese as is, so a town can read the output."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@rubric_app.command("show")
def show_rubric(
    rubric: RubricOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rubric as JSON.")] = False,
) -> None:
    """Prints a rubric as a readable Chinese table, or as JSON with --json."""
    from scoring import rubric_to_dict

    loaded = _rubric_or_exit(rubric)
    for warning in loaded.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if as_json:
        _print_json(rubric_to_dict(loaded))
    else:
        typer.echo("\n".join(_rubric_table(loaded)))


@rubric_app.command("check")
def check_rubric(
    path: Annotated[Path, typer.Argument(help="Rubric YAML file to validate.")],
) -> None:
    """Validates a rubric file: exit 0 and a summary, or exit 2 and one line per problem."""
    loaded = _rubric_or_exit(path)
    for warning in loaded.warnings:
        typer.echo(f"warning: {warning}", err=True)
    per_category = ", ".join(
        f"{category.key} {len(loaded.items_for(category.key))}" for category in loaded.categories
    )
    typer.echo(
        f"{path}: ok: {len(loaded.items)} items in {len(loaded.areas)} areas "
        f"(per category: {per_category}), basic total {loaded.basic_total}, "
        f"{len(loaded.levels)} levels, {len(loaded.warnings)} warnings"
    )


def score(
    file: Annotated[str, typer.Argument(help="Branch or batch JSON file, or - for stdin.")],
    rubric: RubricOption = None,
) -> None:
    """Scores one branch, or a batch of branches with the quota; prints JSON.

    Decimals may be given as JSON numbers or as text ("93.6"), so this command's own output
    can be fed back in.
    """
    from scoring import InputError
    from scoring.json_input import read_json

    loaded = _rubric_or_exit(rubric)
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        _fail([f"{file}: cannot read the file: {error}"])
    try:
        # Numbers are read as exact Decimals: a float would turn 0.1 into 0.1000000000000000055.
        document = read_json(text)
    except InputError as error:
        _fail([f"{file}: {problem}" for problem in error.problems])
    if isinstance(document, Mapping) and "branches" in document:
        output = _score_batch(loaded, document)
    else:
        output = _score_one(loaded, document, prefix="")
    # Printed only once everything is scored: bad input leaves stdout empty.
    _print_json(output)


def _score_one(rubric: Rubric, data: Any, prefix: str) -> dict[str, Any]:
    """Scores one branch's JSON data; exits with code 2 on bad input."""
    from scoring import InputError, parse_branch_input, result_to_dict, score_branch

    try:
        return result_to_dict(score_branch(rubric, parse_branch_input(rubric, data)))
    except InputError as error:
        _fail([f"{prefix}{problem}" for problem in error.problems])


def _score_batch(rubric: Rubric, document: Mapping[str, Any]) -> dict[str, Any]:
    """Scores `{"branches": [...], "quota_override": null | share}` and applies the quota."""
    from scoring import (
        InputError,
        apply_quota,
        outcome_to_dict,
        parse_branch_input,
        quota_to_dict,
        result_to_dict,
        score_branch,
    )
    from scoring.errors import excerpt, join
    from scoring.inputs import parse_number

    problems = [
        f"{join('', str(key))}: unknown key (expected branches, quota_override)"
        for key in document
        if key not in ("branches", "quota_override")
    ]
    override_value = document.get("quota_override")
    override = None if override_value is None else parse_number(override_value)
    if override_value is not None and (override is None or not 0 < override <= 1):
        problems.append(
            "quota_override: expected a share above 0 and at most 1, "
            f"got {excerpt(override_value)}"
        )
    branches = document["branches"]
    if not isinstance(branches, list):
        _fail([*problems, f"branches: expected a list, got {excerpt(branches)}"])
    scored = []
    seen: set[str] = set()
    for index, entry in enumerate(branches):
        prefix = f"branches[{index}]."
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            problems.append(f"{prefix}id: expected an object with a text id, got {excerpt(entry)}")
            continue
        branch_id = entry["id"]
        if branch_id in seen:
            problems.append(f"{prefix}id: duplicate branch id {excerpt(branch_id)}")
        seen.add(branch_id)
        data = {key: value for key, value in entry.items() if key != "id"}
        try:
            scored.append((branch_id, score_branch(rubric, parse_branch_input(rubric, data))))
        except InputError as error:
            problems.extend(f"{prefix}{problem}" for problem in error.problems)
    if problems:
        _fail(problems)
    quota = apply_quota(rubric, scored, quota_override=override)
    return {
        **quota_to_dict(quota),
        "branches": [
            {"id": branch_id, **result_to_dict(result), **outcome_to_dict(outcome)}
            for (branch_id, result), outcome in zip(scored, quota.outcomes, strict=True)
        ],
    }


def _rubric_table(rubric: Rubric) -> list[str]:
    """Renders the rubric as plain-text lines for a terminal."""
    from scoring import format_decimal as fmt

    headings = _TABLE_HEADINGS
    all_categories = {category.key for category in rubric.categories}
    lines = [rubric.name, f"{headings['basic_total']}: {fmt(rubric.basic_total)}", ""]
    lines.append(
        f"{headings['categories']}: "
        + ", ".join(f"{category.label}({category.key})" for category in rubric.categories)
    )
    lines.append(
        f"{headings['answer_levels']}: "
        + ", ".join(
            f"{level.label}({level.key}) ×{fmt(level.fraction)}" for level in rubric.answer_levels
        )
    )
    for area in rubric.areas:
        lines += ["", f"{area.title} ({area.key}, {_area_totals(rubric, area)})"]
        for item in area.items:
            scope = headings["all_categories"]
            if item.categories != all_categories:
                scope = ",".join(c.key for c in rubric.categories if c.key in item.categories)
            lines.append(
                f"  {fmt(item.points):>4}  {item.id:<32} {item.text}"
                f"  [{headings['applies_to']}: {scope}]"
            )
    lines.append("")
    if rubric.bonus is None:
        lines.append(headings["no_bonus"])
    else:
        lines.append(headings["bonus"].format(cap=fmt(rubric.bonus.cap)))
        lines += [f"  {kind.key:<24} {kind.label}" for kind in rubric.bonus.kinds]
    lines.append(headings["deductions"].format(min_points=fmt(rubric.deductions.min_points)))
    lines += [f"  {kind.key:<24} {kind.label}" for kind in rubric.deductions.kinds]
    lines.append(
        f"{headings['ballots']}: "
        + ", ".join(
            f"{ballot.label}({ballot.key}) {fmt(ballot.value)}" for ballot in rubric.review.ballots
        )
    )
    weights = rubric.weights
    lines.append(
        headings["weights"].format(
            assessment=_percent(weights.assessment), review=_percent(weights.review)
        )
    )
    if rubric.total_cap is not None:
        lines.append(headings["total_cap"].format(cap=fmt(rubric.total_cap)))
    lines.append(
        f"{headings['levels']}: "
        + ", ".join(f"{level.label} ≥ {fmt(level.min_total)}" for level in rubric.levels)
    )
    lines += [
        headings["gates"].format(
            label=gate.label or gate.key, level=rubric.level(gate.max_stars).label
        )
        for gate in rubric.gates
    ]
    if rubric.quota or rubric.category_quota:
        lines.append(f"{headings['quota']}: " + ", ".join(_quota_shares(rubric)))
    lines.append(
        headings["spot_check"].format(
            levels="/".join(str(stars) for stars in rubric.spot_check.levels),
            fraction=_percent(rubric.spot_check.fraction),
        )
    )
    return lines


def _quota_shares(rubric: Rubric) -> list[str]:
    """Each capped level's share of all branches, then its shares within categories, top first."""
    shares = []
    for stars in sorted(rubric.quota.keys() | rubric.category_quota.keys(), reverse=True):
        share = f"{rubric.level(stars).label}"
        if stars in rubric.quota:
            share += f" ≤ {_percent(rubric.quota[stars])}"
        by_category = rubric.category_quota.get(stars, {})
        if by_category:
            share += (
                "（"
                + ", ".join(
                    f"{rubric.category(key).label} ≤ {_percent(part)}"
                    for key, part in by_category.items()
                )
                + "）"
            )
        shares.append(share)
    return shares


def _percent(share: Decimal) -> str:
    """Writes a share as the seed does: 0.3 → "30%"."""
    from scoring import format_decimal

    return f"{format_decimal(share * 100)}%"


def _area_totals(rubric: Rubric, area: Area) -> str:
    """The points an area is worth: one figure, or each category's when they differ."""
    from scoring import format_decimal

    totals = {
        category.key: sum(
            (item.points for item in area.items if category.key in item.categories), Decimal(0)
        )
        for category in rubric.categories
    }
    if len(set(totals.values())) == 1:
        return format_decimal(next(iter(totals.values())))
    return ", ".join(f"{key} {format_decimal(total)}" for key, total in totals.items())
