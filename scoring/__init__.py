"""The pure scoring core: the rubric as data, one branch's score, the quota and the spot check.

No telegram, no sqlalchemy, no I/O beyond reading a rubric file you name, no user-facing text:
results carry reason codes that the handlers' catalogue turns into Chinese. `Decimal` throughout.
"""

from scoring.decimals import format_decimal
from scoring.default import default_rubric, default_rubric_text
from scoring.errors import InputError
from scoring.export import outcome_to_dict, quota_to_dict, result_to_dict, rubric_to_dict
from scoring.gates import GATE_DEDUCTION, failed_gates
from scoring.inputs import BranchInput, Claim, parse_branch_input, review_from_ballots
from scoring.model import (
    AnswerLevel,
    Area,
    Ballot,
    BasicBelow,
    BonusRules,
    Category,
    Condition,
    DeductionOf,
    DeductionRules,
    Gate,
    Item,
    ItemBelowFull,
    Kind,
    Level,
    ReviewBelow,
    ReviewRules,
    Rubric,
    SpotCheck,
    Weights,
)
from scoring.provisional import OUT_OF_REACH, REACHED, MissingItem, Provisional
from scoring.quota import OVER_QUOTA, TIE_AT_CUTOFF, QuotaOutcome, QuotaResult, apply_quota
from scoring.rubric_loader import RubricError, load_rubric, parse_rubric
from scoring.score import AreaScore, ScoreResult, basic_score, score_branch
from scoring.spot_check import spot_check_sample

__all__ = [
    "GATE_DEDUCTION",
    "OUT_OF_REACH",
    "OVER_QUOTA",
    "REACHED",
    "TIE_AT_CUTOFF",
    "AnswerLevel",
    "Area",
    "AreaScore",
    "Ballot",
    "BasicBelow",
    "BonusRules",
    "BranchInput",
    "Category",
    "Claim",
    "Condition",
    "DeductionOf",
    "DeductionRules",
    "Gate",
    "InputError",
    "Item",
    "ItemBelowFull",
    "Kind",
    "Level",
    "MissingItem",
    "Provisional",
    "QuotaOutcome",
    "QuotaResult",
    "ReviewBelow",
    "ReviewRules",
    "Rubric",
    "RubricError",
    "ScoreResult",
    "SpotCheck",
    "Weights",
    "apply_quota",
    "basic_score",
    "default_rubric",
    "default_rubric_text",
    "failed_gates",
    "format_decimal",
    "load_rubric",
    "outcome_to_dict",
    "parse_branch_input",
    "parse_rubric",
    "quota_to_dict",
    "result_to_dict",
    "review_from_ballots",
    "rubric_to_dict",
    "score_branch",
    "spot_check_sample",
]
