"""The five-star gates (基础项低于80分或出现减分项的,不得评定为五星级) and the stars they allow."""

from __future__ import annotations

from decimal import Decimal

from scoring.model import Rubric
from scoring.rules import GATE_DEDUCTION

__all__ = ["GATE_DEDUCTION", "failed_gates", "gated_stars"]


def failed_gates(rubric: Rubric, basic_100: Decimal, has_deduction: bool) -> tuple[str, ...]:
    """Returns the reason codes of the gates that block the gated level (none: empty)."""
    return rubric.rules.failed_gates(basic_100, has_deduction)


def gated_stars(rubric: Rubric, total: Decimal, blocked: bool) -> int:
    """Returns the stars a rounded total earns, dropping below the gated level when blocked."""
    return rubric.rules.stars_for(total, blocked)
