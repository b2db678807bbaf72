"""The default rubric shipped in the package, derived from the seed (`rubrics/default.yaml`)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from scoring.model import Rubric
from scoring.rubric_loader import parse_rubric

__all__ = ["DEFAULT_RUBRIC_SOURCE", "default_rubric", "default_rubric_text"]

DEFAULT_RUBRIC_SOURCE = "scoring/rubrics/default.yaml"


@cache
def default_rubric_text() -> str:
    """Returns the default rubric's YAML text; a cycle stores it as its pinned snapshot."""
    return resources.files("scoring").joinpath("rubrics", "default.yaml").read_text("utf-8")


@cache
def default_rubric() -> Rubric:
    """Returns the default rubric, parsed once per process."""
    return parse_rubric(default_rubric_text(), source=DEFAULT_RUBRIC_SOURCE)
