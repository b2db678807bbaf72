"""The user-facing text catalogue: every Chinese sentence the bot sends lives in YAML, not code.

Texts live in `handlers/catalogue/zh/<flow>.yaml`, one file per conversation flow. A key is
`<file stem>.<name>` (`binding.welcome`, `summary.title`); nested mappings in a file are joined
with dots (`assessment.button.skip`). Placeholders use `str.format` syntax (`{points}`) and are
filled after lookup, so a translator sees whole sentences.

The files are read once per process and cached: a button press must not re-parse YAML.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEFAULT_LANGUAGE",
    "CatalogueError",
    "catalogue_dir",
    "has_key",
    "keys",
    "placeholders",
    "text",
]

# Chinese first: the product's users are Party branch secretaries and town staff in China.
DEFAULT_LANGUAGE = "zh"

_FORMATTER = string.Formatter()


class CatalogueError(LookupError):
    """A key is missing, a placeholder is not given, or a catalogue file is malformed."""


def catalogue_dir(language: str = DEFAULT_LANGUAGE) -> Path:
    """Returns the folder holding one language's YAML files."""
    return Path(__file__).resolve().parent / language


def _flatten(prefix: str, node: object, source: Path, into: dict[str, str]) -> None:
    """Adds every string under `node` to `into`, keyed by its dotted path."""
    if isinstance(node, str):
        if prefix in into:
            raise CatalogueError(f"duplicate catalogue key {prefix!r} in {source}")
        into[prefix] = node
        return
    if isinstance(node, Mapping):
        for name, child in node.items():
            if not isinstance(name, str) or not name:
                raise CatalogueError(f"catalogue key {name!r} under {prefix!r} in {source}")
            _flatten(f"{prefix}.{name}", child, source, into)
        return
    raise CatalogueError(
        f"catalogue entry {prefix!r} in {source} must be text or a mapping, got {node!r}"
    )


@cache
def _load(language: str) -> dict[str, str]:
    """Reads and flattens every YAML file of one language (once per process)."""
    folder = catalogue_dir(language)
    if not folder.is_dir():
        raise CatalogueError(f"no catalogue for language {language!r} at {folder}")
    texts: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if document is None:
            continue
        if not isinstance(document, Mapping):
            raise CatalogueError(f"catalogue file {path} must hold a mapping, got {document!r}")
        _flatten(path.stem, document, path, texts)
    return texts


def keys(language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """Returns every key the catalogue of `language` defines."""
    return frozenset(_load(language))


def has_key(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Tells whether `key` exists in the catalogue of `language`."""
    return key in _load(language)


@cache
def placeholders(key: str, language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """Returns the placeholder names the text under `key` expects.

    Cached like the texts it parses: a card checks a dozen texts' placeholders on every press.
    """
    return frozenset(
        field.split(".")[0].split("[")[0]
        for _, field, _, _ in _FORMATTER.parse(_raw(key, language))
        if field
    )


def _raw(key: str, language: str) -> str:
    """Returns the unfilled text under `key`, or raises naming the key and its file."""
    try:
        return _load(language)[key]
    except KeyError:
        stem = key.split(".", 1)[0]
        raise CatalogueError(
            f"catalogue key {key!r} not found (looked in {catalogue_dir(language) / stem}.yaml)"
        ) from None


def text(key: str, /, *, language: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """Returns the catalogue text under `key` with its placeholders filled from `params`.

    Args:
        key: `<file stem>.<name>`, e.g. `binding.welcome`.
        language: the catalogue folder; Chinese by default.
        **params: values for the text's `{placeholders}`.

    Raises:
        CatalogueError: the key does not exist, or a placeholder has no value.
    """
    raw = _raw(key, language)
    missing = placeholders(key, language) - params.keys()
    if missing:
        raise CatalogueError(
            f"catalogue text {key!r} needs {sorted(missing)!r}, got {sorted(params)!r}"
        )
    return raw.format(**params)
