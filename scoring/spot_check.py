"""The county's spot check (抽查复核): at least 15% of the three- and four-star branches.

Each level is sampled on its own with a seeded generator; the seed is recorded with the sample
so the same seed always draws the same branches, whatever order they are listed in.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import ROUND_CEILING

from scoring.model import Rubric

__all__ = ["spot_check_sample"]


def spot_check_sample(
    rubric: Rubric, branches: Sequence[tuple[str, int]], seed: int
) -> dict[int, tuple[str, ...]]:
    """Draws the spot-check sample of each sampled level, at least the rubric's share of its
    branches (rounded up: "不低于15%").

    Args:
        branches: `(branch id, stars after the quota)` for every branch in scope.
        seed: the seed recorded with the sample.

    Returns:
        stars → the sampled branch ids, sorted; every sampled level is present.
    """
    sample = {}
    for stars in rubric.spot_check.levels:
        # Sorting first makes the draw independent of the order the caller listed branches in.
        holders = sorted(branch_id for branch_id, held in branches if held == stars)
        wanted = rubric.spot_check.fraction * len(holders)
        size = int(wanted.to_integral_value(rounding=ROUND_CEILING))
        # A string seed is hashed with SHA-512 by `random`, stable across runs and versions.
        generator = random.Random(f"{seed}:{stars}")
        sample[stars] = tuple(sorted(generator.sample(holders, size)))
    return sample
