"""The levels a total earns and the gates that hold a branch below a level.

The seed: 基础项低于80分或出现减分项的,不得评定为五星级. A result at or above the gated level
that fails a gate drops to the level below it, and the failed gates are named by reason codes
(`basic_below_80`, `has_deduction`) that the handlers' catalogue turns into Chinese.
"""

from __future__ import annotations

from decimal import Decimal

from scoring.decimals import format_decimal
from scoring.model import Rubric

__all__ = ["GATE_DEDUCTION", "failed_gates", "stars_for"]

GATE_DEDUCTION = "has_deduction"


def failed_gates(rubric: Rubric, basic_100: Decimal, has_deduction: bool) -> tuple[str, ...]:
    """Returns the reason codes of the gates the branch fails (none: empty)."""
    gates = rubric.gates
    codes = []
    if gates.min_basic_100 is not None and basic_100 < gates.min_basic_100:
        codes.append(f"basic_below_{format_decimal(gates.min_basic_100)}")
    if gates.deductions_forbid and has_deduction:
        codes.append(GATE_DEDUCTION)
    return tuple(codes)


def stars_for(rubric: Rubric, total: Decimal, blocked: bool) -> int:
    """Returns the stars of the highest level `total` reaches, below the gated level if blocked."""
    stars = next(level.stars for level in rubric.levels if total >= level.min_total)
    if blocked and stars >= rubric.gates.stars:
        return rubric.level_below(rubric.gates.stars)
    return stars


def is_gated(rubric: Rubric, stars: int) -> bool:
    """Whether a failed gate blocks the level with `stars`."""
    return stars >= rubric.gates.stars
