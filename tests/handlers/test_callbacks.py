"""The callback-data codec."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.callbacks import (
    MAX_CALLBACK_BYTES,
    CallbackData,
    CallbackDataError,
    Kind,
    decode,
    encode,
    make_marker,
)


@pytest.mark.parametrize(
    ("kind", "args", "expected"),
    [
        (Kind.ANSWER, (7, "partial"), "a:12:abc1:7:partial"),
        (Kind.CONTENTS, (), "t:12:abc1"),
        (Kind.AREA, ("members",), "r:12:abc1:members"),
        (Kind.BONUS_POINTS, ("commendation", 5), "o:12:abc1:commendation:5"),
    ],
)
def test_encode_writes_kind_id_marker_and_arguments(
    kind: Kind, args: tuple[object, ...], expected: str
) -> None:
    assert encode(kind, 12, "abc1", *args) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "a",
        "a:12:abc1:7",
        "a:12:abc1:7:full:extra",
        "q:12:abc1",
        "a:012:abc1:7:full",
        "a:12:ABC:7:full",
        "a:12:abc1:7:fu ll",
        "a:12:abc1:7:满分",
        "t:12:abc1:" + "x" * 64,
        "a:12:abc1:7:full'--",
    ],
)
def test_decode_refuses_malformed_data(raw: str | None) -> None:
    with pytest.raises(CallbackDataError):
        decode(raw)


def test_encode_refuses_data_over_64_bytes() -> None:
    with pytest.raises(CallbackDataError, match="64 bytes"):
        encode(Kind.BONUS_POINTS, 10**11, "f" * 16, "k" * 40, 20)


def test_encode_refuses_the_wrong_number_of_arguments() -> None:
    with pytest.raises(CallbackDataError, match="ANSWER takes 2"):
        encode(Kind.ANSWER, 1, "m", 3)


@pytest.mark.parametrize(
    ("version", "sha", "expected"),
    [(1, "ABCDEF0123", "abcdef1"), (36, "0123456789", "01234510"), (0, "ffffff", "ffffff0")],
)
def test_make_marker_joins_the_rubric_sha_and_the_version(
    version: int, sha: str, expected: str
) -> None:
    assert make_marker(version, sha) == expected


@given(
    kind=st.sampled_from(list(Kind)),
    ident=st.integers(min_value=1, max_value=10**9),
    version=st.integers(min_value=0, max_value=10**6),
    argument=st.from_regex(r"[a-z_.]{1,12}", fullmatch=True),
)
def test_decode_reverses_encode(kind: Kind, ident: int, version: int, argument: str) -> None:
    marker = make_marker(version, "0af3c2")
    args = (argument,) * kind.arity
    raw = encode(kind, ident, marker, *args)

    assert decode(raw) == CallbackData(kind, ident, marker, args)
    assert len(raw.encode()) <= MAX_CALLBACK_BYTES


def test_every_kind_has_its_own_code() -> None:
    assert len({kind.code for kind in Kind}) == len(Kind)
