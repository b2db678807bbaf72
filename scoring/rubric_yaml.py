"""Reads rubric YAML exactly and defensively.

PyYAML's safe loader turns `0.7` into a binary float and silently keeps the last of two equal
keys; a town editing its rubric by hand deserves better on both counts. A rubric file is also
untrusted input: a few hundred bytes of nested aliases expand to gigabytes, a 5,000-digit number
fails inside PyYAML, and a list used as a key fails in Python. So the text is first composed into
YAML nodes (where an alias is one shared node, cheap however far it would expand) and checked
node by node, each problem with its field path; only a document that passes is built into Python
values.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scoring.decimals import parse_decimal_text
from scoring.errors import excerpt, join
from scoring.rubric_reader import RubricError, RubricReader, bounded

__all__ = [
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_NUMBER_LENGTH",
    "MAX_RUBRIC_BYTES",
    "read_rubric_file",
    "read_yaml",
]

# The seed's rubric is about 15 kB; a county's own stays far below this.
MAX_RUBRIC_BYTES = 1_000_000
# Aliases may repeat small pieces (a list of categories); past this many values they are a bomb.
MAX_ALIAS_VALUES = 10_000
# A rubric nests about 7 levels deep (areas, items, categories...).
MAX_DEPTH = 20
# Longer than any number a rubric needs, short enough that PyYAML and Decimal stay cheap.
MAX_NUMBER_LENGTH = 30

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
# The types a rubric is written in. Others (dates, sets, binary, explicit `!!bool abc`) either
# mean nothing to a rubric or fail inside PyYAML's constructors with bare Python errors.
_PLAIN_SCALAR_TAGS = (*_NUMBER_TAGS, "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")
_ALLOWED_TAGS = (
    *_PLAIN_SCALAR_TAGS,
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
)


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


class _NodeCheck:
    """Walks composed YAML nodes, aliases expanded, recording what cannot be built safely."""

    def __init__(self, loader: _ExactLoader, reader: RubricReader) -> None:
        self.loader = loader
        self.reader = reader
        self.seen: set[int] = set()
        self.alias_values = 0

    def walk(self, node: Node, path: str, depth: int = 0, via_alias: bool = False) -> bool:
        """Checks `node` and below; returns False once the walk must stop (a bomb, too deep)."""
        # The composer gives every alias the very node of its anchor: meeting a node again
        # means an alias, and everything under it is an expanded copy.
        via_alias = via_alias or id(node) in self.seen
        self.seen.add(id(node))
        if via_alias:
            self.alias_values += 1
            if self.alias_values > MAX_ALIAS_VALUES:
                self.reader.problem(
                    path, f"aliases expand to more than {MAX_ALIAS_VALUES} values: write it out"
                )
                return False
        if depth > MAX_DEPTH:
            self.reader.problem(path, f"nested deeper than {MAX_DEPTH} levels")
            return False
        if not self._has_allowed_tag(node, path):
            return True
        if isinstance(node, ScalarNode):
            self._check_scalar(node, path)
        elif isinstance(node, SequenceNode):
            for index, child in enumerate(node.value):
                if not self.walk(child, join(path, index), depth + 1, via_alias):
                    return False
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                key_path = self._check_key(key_node, path)
                if key_path is not None and not self.walk(
                    value_node, key_path, depth + 1, via_alias
                ):
                    return False
        return True

    def _check_key(self, key_node: Node, path: str) -> str | None:
        """Returns the path of the key's value, or None after recording why the key is refused."""
        line = key_node.start_mark.line + 1
        if key_node.tag == _MERGE_TAG:
            self.reader.problem(
                path, f"merge keys (<<) are not supported: write the keys out (line {line})"
            )
            return None
        if not isinstance(key_node, ScalarNode):
            kind = "list" if isinstance(key_node, SequenceNode) else "mapping"
            self.reader.problem(
                path, f"a key must be text or a number, got a {kind} (line {line})"
            )
            return None
        if not self._has_allowed_tag(key_node, path):
            return None
        self._check_scalar(key_node, path)
        return join(path, key_node.value)

    def _has_allowed_tag(self, node: Node, path: str) -> bool:
        """Records a problem unless the node is of a type a rubric is written in."""
        if node.tag in _ALLOWED_TAGS:
            return True
        self.reader.problem(path, f"the YAML type {excerpt(node.tag)} is not allowed here")
        return False

    def _implicit_tag(self, text: str) -> str:
        """The tag PyYAML gives `text` written plain, without an explicit tag."""
        tag: str = self.loader.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        return tag

    def _check_scalar(self, node: ScalarNode, path: str) -> None:
        """Refuses number text too long to be a sensible rubric number, and mistyped values."""
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_LENGTH:
            self.reader.problem(
                path,
                f"a number of {len(node.value)} characters is too long "
                f"(at most {MAX_NUMBER_LENGTH})",
            )
        elif node.tag in _PLAIN_SCALAR_TAGS and node.tag != self._implicit_tag(node.value):
            # An explicit tag on text that does not spell its type, such as `!!int abc`.
            name = node.tag.rsplit(":", 1)[-1]
            self.reader.problem(path, f"{excerpt(node.value)} is not a valid {name}")


def read_rubric_file(path: str | Path) -> str:
    """Reads a rubric file's text, refusing a file over `MAX_RUBRIC_BYTES` before reading it all.

    Raises:
        RubricError: the file cannot be read, is not UTF-8, or is too large.
    """
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_RUBRIC_BYTES + 1)
        if len(data) > MAX_RUBRIC_BYTES:
            raise RubricError([_too_large(str(path))])
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RubricError([f"{path}: cannot read the file: {error}"]) from error


def _too_large(source: str) -> str:
    """The problem line for a rubric text or file over `MAX_RUBRIC_BYTES`."""
    return f"{source}: the file is larger than {MAX_RUBRIC_BYTES} bytes"


def read_yaml(text: str, source: str = "<string>") -> Any:
    """Parses rubric YAML text with exact numbers, refusing what cannot be built safely.

    Raises:
        RubricError: the text is not YAML, repeats a key (with its line and column), or fails
            one of the checks above, one problem per field path.
    """
    # Characters never outnumber UTF-8 bytes, so the cheap test comes first.
    if len(text) > MAX_RUBRIC_BYTES or len(text.encode("utf-8")) > MAX_RUBRIC_BYTES:
        raise RubricError([_too_large(source)])
    loader = _ExactLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except RecursionError:
            # PyYAML's composer recurses once per level; a file nested hundreds deep ends here.
            raise RubricError([f"{source}: nested deeper than {MAX_DEPTH} levels"]) from None
        reader = RubricReader(source)
        if root is not None:
            _NodeCheck(loader, reader).walk(root, "")
        if reader.problems:
            raise RubricError(reader.problems)
        return None if root is None else loader.construct_document(root)
    except yaml.YAMLError as error:
        detail = " ".join(str(error).split())
        raise RubricError([bounded(f"{source}: not valid YAML: {detail}")]) from error
    finally:
        loader.dispose()
