"""The error raised for invalid branch input, shared by input parsing, ballots and scoring."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """A branch's input is invalid.

    Attributes:
        problems: one line per problem, each naming the field and the value, e.g.
            `answers.team.study: unknown level 'yes' (expected full, partial, none)`.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))
