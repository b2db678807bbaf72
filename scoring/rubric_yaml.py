"""Reads rubric YAML exactly: floats become Decimals from their text, duplicate keys are errors.

PyYAML's safe loader turns `0.7` into a binary float and silently keeps the last of two equal
keys; a town editing its rubric by hand deserves better on both counts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

from scoring.decimals import parse_decimal_text

__all__ = ["read_yaml"]


class _ExactLoader(yaml.SafeLoader):
    """A safe loader with exact numbers and strict mappings."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Builds a mapping, refusing a key that appears twice."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_exact_float(loader: _ExactLoader, node: ScalarNode) -> Decimal | float:
    """Turns YAML float text into the Decimal it spells; `.inf` and `.nan` stay floats."""
    text = loader.construct_scalar(node)
    number = parse_decimal_text(str(text))
    # Non-finite values are left as floats so validation reports them as "not a number".
    return number if number is not None else float("nan")


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_exact_float)


def read_yaml(text: str) -> Any:
    """Parses YAML text with exact numbers.

    Raises:
        yaml.YAMLError: the text is not YAML, or a mapping repeats a key; the error carries the
            line and column.
    """
    return yaml.load(text, Loader=_ExactLoader)
