"""The five-star gates (基础项低于80分或出现减分项的,不得评定为五星级) and the stars they allow."""

from __future__ import annotations

from decimal import Decimal

from scoring.model import Rubric

__all__ = ["GATE_DEDUCTION", "failed_gates", "gated_stars"]

# Reason codes in `ScoreResult.gates`; the handlers' catalogue turns them into Chinese.
# A basic-score gate is `basic_below_<minimum>`, e.g. `basic_below_80` in the default rubric.
GATE_DEDUCTION = "has_deduction"


def failed_gates(rubric: Rubric, basic_100: Decimal, has_deduction: bool) -> tuple[str, ...]:
    """Returns the reason codes of the gates that block the gated level (none: empty)."""
    gates = rubric.gates
    below = gates.min_basic_100 is not None and basic_100 < gates.min_basic_100
    forbidden = gates.deductions_forbid and has_deduction
    if not below and not forbidden:
        return ()
    failed = []
    if below:
        failed.append(str(rubric.basic_gate_code))
    if forbidden:
        failed.append(GATE_DEDUCTION)
    return tuple(failed)


def gated_stars(rubric: Rubric, total: Decimal, blocked: bool) -> int:
    """Returns the stars a rounded total earns, dropping below the gated level when blocked."""
    stars = rubric.level_for_total(total).stars
    if blocked and stars >= rubric.gates.stars:
        return rubric.level_below(rubric.gates.stars)
    return stars
