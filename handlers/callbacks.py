"""The callback-data codec: `<kind>:<assessment id>:<marker>[:<argument>...]`, ASCII, ≤ 64 bytes.

Telegram hands callback data back verbatim but anyone can forge it, so decoding is strict
(known kind, exact number of arguments, a narrow alphabet) and everything decoded is re-checked
against the database by the handler. The `marker` is the assessment's snapshot/version marker:
a keyboard built before the assessment moved on carries an old marker and is answered with
"此按钮已过期".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "MAX_CALLBACK_BYTES",
    "CallbackData",
    "CallbackDataError",
    "Kind",
    "decode",
    "encode",
    "make_marker",
]

# Bot API: InlineKeyboardButton.callback_data is 1-64 bytes.
MAX_CALLBACK_BYTES = 64

_ASSESSMENT_ID = re.compile(r"[1-9][0-9]{0,11}")
_MARKER = re.compile(r"[0-9a-z]{1,16}")
_ARGUMENT = re.compile(r"[A-Za-z0-9_.\-]{1,40}")


class Kind(Enum):
    """Every kind of button the bot sends, with its wire code and how many arguments it carries.

    The codes are short because they share 64 bytes with the ids after them.
    """

    ANSWER = ("a", 2)  # item number, answer level key
    PREVIOUS = ("p", 1)  # item number the card showed
    SKIP = ("s", 1)  # item number
    EVIDENCE = ("e", 1)  # item number: asks for a photo, document or note
    CONTENTS = ("t", 0)  # the areas
    AREA = ("r", 1)  # area key: that area's items
    GOTO = ("g", 1)  # item number
    CARD = ("c", 0)  # back to the current item
    SUMMARY = ("m", 0)
    SUBMIT = ("u", 0)  # the declared-level choice
    DECLARE = ("d", 1)  # stars declared
    CONFIRM = ("f", 1)  # stars declared, confirmed
    CLAIMS = ("l", 0)  # bonus and deduction menu
    BONUS_KIND = ("b", 1)  # bonus kind key
    BONUS_POINTS = ("o", 2)  # bonus kind key, points asked
    DEDUCTION_KIND = ("x", 1)  # deduction kind key
    CANCEL_INPUT = ("n", 0)  # drop a pending reason/points question
    RESUME = ("k", 0)  # a reminder's 继续自评: the card where the secretary stopped
    LOST_POINTS = ("i", 0)  # a result's item-by-item list of points lost
    # The town's review (handlers/review.py). The id is a town id for the town's screens
    # (dashboard, list) and an assessment id for a branch's; "v" keeps them apart.
    REVIEW_HOME = ("vh", 0)  # town id: the dashboard
    REVIEW_LIST = ("vl", 2)  # town id; state filter, page number
    REVIEW_BRANCH = ("vb", 0)  # a branch's page
    REVIEW_EVIDENCE = ("ve", 0)  # re-send the branch's evidence
    REVIEW_ITEM = ("vi", 1)  # item number: the reviewer's item card
    REVIEW_RESCORE = ("vs", 2)  # item number, score offered on the card
    REVIEW_AWARD = ("va", 1)  # claim id: award the claim as declared
    REVIEW_MARK = ("vm", 0)  # mark reviewed
    REVIEW_RETURN = ("vt", 0)  # return for revision: asks for the reason
    REVIEW_RANKING = ("vk", 0)  # town id: the ranking finalising would give
    REVIEW_FINALIZE = ("vz", 0)  # town id, the ranking's snapshot marker: finalise
    # The county's re-check (handlers/county.py); "k" for 县.
    COUNTY_HOME = ("kh", 0)  # county id: the recommendations
    COUNTY_BRANCH = ("kb", 0)  # a recommendation's page

    def __init__(self, code: str, arity: int) -> None:
        self.code = code
        self.arity = arity


_BY_CODE = {kind.code: kind for kind in Kind}


class CallbackDataError(ValueError):
    """Callback data that is malformed, too long, or of an unknown kind (carries the raw value)."""

    def __init__(self, message: str, raw: str | bytes) -> None:
        super().__init__(f"{message}: {raw!r}")
        self.raw = raw


@dataclass(frozen=True, slots=True)
class CallbackData:
    """One decoded button press.

    Attributes:
        kind: what the button does.
        assessment_id: the assessment the keyboard was built for.
        marker: the assessment's version marker when the keyboard was built.
        args: the kind's arguments, as ASCII strings.
    """

    kind: Kind
    assessment_id: int
    marker: str
    args: tuple[str, ...] = ()

    def arg(self, index: int) -> str:
        """Returns the argument at `index` (the arity is checked when decoding)."""
        return self.args[index]


def encode(kind: Kind, assessment_id: int, marker: str, *args: object) -> str:
    """Builds the callback data for one button.

    Raises:
        CallbackDataError: a field is outside the alphabet, the arity is wrong, or the result
            exceeds 64 bytes.
    """
    fields = [kind.code, str(assessment_id), marker, *(str(arg) for arg in args)]
    raw = ":".join(fields)
    if len(args) != kind.arity:
        raise CallbackDataError(f"{kind.name} takes {kind.arity} arguments, got {len(args)}", raw)
    _check_fields(fields, raw)
    if len(raw.encode("ascii")) > MAX_CALLBACK_BYTES:
        raise CallbackDataError(f"callback data over {MAX_CALLBACK_BYTES} bytes", raw)
    return raw


def decode(raw: str | None) -> CallbackData:
    """Parses callback data sent back by Telegram (or forged by anyone).

    Raises:
        CallbackDataError: the data is missing, not ASCII, too long, of an unknown kind, or has
            the wrong number of fields or a field outside its alphabet.
    """
    if not raw:
        raise CallbackDataError("empty callback data", raw or "")
    if not raw.isascii() or len(raw) > MAX_CALLBACK_BYTES:
        raise CallbackDataError("callback data not ASCII or over 64 bytes", raw)
    fields = raw.split(":")
    kind = _BY_CODE.get(fields[0])
    if kind is None:
        raise CallbackDataError("unknown callback kind", raw)
    if len(fields) != 3 + kind.arity:
        raise CallbackDataError(f"{kind.name} needs {kind.arity} arguments", raw)
    _check_fields(fields, raw)
    return CallbackData(kind, int(fields[1]), fields[2], tuple(fields[3:]))


def _check_fields(fields: list[str], raw: str) -> None:
    """Checks the id, the marker and each argument against their alphabets."""
    if not _ASSESSMENT_ID.fullmatch(fields[1]):
        raise CallbackDataError("bad assessment id in callback data", raw)
    if not _MARKER.fullmatch(fields[2]):
        raise CallbackDataError("bad version marker in callback data", raw)
    for argument in fields[3:]:
        if not _ARGUMENT.fullmatch(argument):
            raise CallbackDataError(f"bad argument {argument!r} in callback data", raw)


def make_marker(version: int, rubric_sha256: str) -> str:
    """Builds the marker a keyboard carries: the rubric snapshot and the assessment's version.

    The first six hex digits of the pinned rubric's SHA-256 tell a keyboard from another
    snapshot; the version (base 36) tells it from an earlier state of the same assessment.
    """
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    encoded = ""
    remaining = version
    while True:
        remaining, digit = divmod(remaining, 36)
        encoded = digits[digit] + encoded
        if remaining == 0:
            break
    return f"{rubric_sha256[:6].lower()}{encoded}"
