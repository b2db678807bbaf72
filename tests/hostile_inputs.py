"""Hostile inputs shared by the scoring and command-line tests."""

from __future__ import annotations

__all__ = ["alias_bomb"]


def alias_bomb() -> str:
    """A `name:` of nine levels of nine aliases: 357 bytes that expand to 9^9 strings."""
    lines = ["name:", "  a: &a [" + ",".join(["lolz"] * 9) + "]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"
