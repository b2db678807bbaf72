"""Telegram's HTML parse mode, as far as the fake Bot API needs it.

Telegram measures a message's length *after* entity parsing, refuses malformed markup with
"Bad Request: can't parse entities: ...", stores the text with the tags stripped and the entities
beside it, and strips leading and trailing whitespace. This module reproduces that for the tags the
Bot API documents under "HTML style" (https://core.telegram.org/bots/api#html-style), following
the error wording of the reference server (tdlib's ``parse_html``), so that a message the real
server would refuse fails a test here first.

Offsets and lengths of entities are in UTF-16 code units, as the Bot API specifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = [
    "HtmlParseError",
    "ParsedText",
    "parse_html",
    "parse_text",
    "utf16_length",
]

# Tag name -> entity type, from the Bot API's "HTML style" list.
_TAG_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

# The only named character references Telegram decodes; any other "&name;" stays literal text.
_NAMED_REFERENCES: dict[str, str] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_SPECIAL = re.compile(r"[<&]")
_PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})


class HtmlParseError(ValueError):
    """Markup Telegram would refuse.

    The message is the server's wording after its "Bad Request: " prefix.
    """


@dataclass(frozen=True)
class ParsedText:
    """A message text as Telegram stores it: plain text plus entities."""

    text: str
    entities: tuple[dict[str, Any], ...] = field(default=())

    @property
    def length(self) -> int:
        """Length in characters (code points), the unit of the Bot API's text limits."""
        return len(self.text)


@dataclass(frozen=True)
class _Where:
    """A position in the markup, rendered as Telegram reports it (a UTF-8 byte offset).

    Formatting is deferred to the error message, so parsing valid text never pays for it.
    """

    text: str
    position: int

    def __str__(self) -> str:
        return f"byte offset {len(self.text[: self.position].encode('utf-8'))}"


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset in the output text
    attributes: dict[str, str]
    sequence: int = 0  # opening order, so nested entities over one range keep outer-first


def utf16_length(text: str) -> int:
    """Returns the length of ``text`` in UTF-16 code units (the Bot API's offset unit)."""
    return len(text.encode("utf-16-le")) // 2


def parse_text(
    text: str,
    parse_mode: str | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> ParsedText:
    """Returns ``text`` as Telegram would store it for the given formatting options.

    Args:
        text: The text or caption as the bot sent it.
        parse_mode: ``"HTML"`` is parsed; Markdown modes are taken literally (the project does not
            use them, so the fake does not model them) and counted as sent.
        entities: Explicit entities, used instead of a parse mode.

    Raises:
        HtmlParseError: The parse mode is unknown or the HTML is malformed.
    """
    if entities:
        return _strip_whitespace(ParsedText(text, tuple(entities)))
    return _parse_cached(text, parse_mode)


@lru_cache(maxsize=512)
def _parse_cached(text: str, parse_mode: str | None) -> ParsedText:
    # The spec check and the fake's message store parse the same text one after the other.
    if parse_mode is not None and parse_mode.lower() not in _PARSE_MODES:
        raise HtmlParseError(f"unsupported parse_mode {parse_mode!r}")
    if parse_mode is not None and parse_mode.lower() == "html":
        return _strip_whitespace(parse_html(text))
    return _strip_whitespace(ParsedText(text))


def parse_html(text: str) -> ParsedText:
    """Parses Telegram-flavoured HTML into plain text and entities.

    Raises:
        HtmlParseError: On an unsupported tag, an unclosed or unmatched tag, or a bare ``<``,
            with the byte offset Telegram would report.
    """
    if "<" not in text and "&" not in text:
        return ParsedText(text)
    output: list[str] = []
    out_offset = 0  # UTF-16 units written so far
    stack: list[_OpenTag] = []
    entities: list[tuple[int, dict[str, Any]]] = []
    opened = 0
    position = 0
    while position < len(text):
        special = _SPECIAL.search(text, position)
        end = special.start() if special else len(text)
        if end > position:
            # Plain text between markup is copied in one piece.
            chunk = text[position:end]
            output.append(chunk)
            out_offset += utf16_length(chunk)
            position = end
            continue
        if text[position] == "&":
            decoded, position = _decode_reference(text, position)
            output.append(decoded)
            out_offset += utf16_length(decoded)
        elif text.startswith("</", position):
            name, end = _read_end_tag(text, position)
            _close_tag(stack, name, out_offset, _Where(text, position), entities)
            position = end
        else:
            tag, position = _read_start_tag(text, position, out_offset)
            tag.sequence = opened
            opened += 1
            stack.append(tag)
    if stack:
        raise HtmlParseError(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1].name}"'
        )
    entities.sort(key=lambda pair: (pair[1]["offset"], -pair[1]["length"], pair[0]))
    return ParsedText("".join(output), tuple(entity for _, entity in entities))


def _decode_reference(text: str, position: int) -> tuple[str, int]:
    """Decodes ``&...;`` at ``position``; an unknown reference stays a literal ampersand."""
    end = text.find(";", position + 1, position + 12)
    if end == -1:
        return "&", position + 1
    name = text[position + 1 : end]
    if name in _NAMED_REFERENCES:
        return _NAMED_REFERENCES[name], end + 1
    try:
        if name[:2] in ("#x", "#X"):
            return chr(int(name[2:], 16)), end + 1
        if name[:1] == "#":
            return chr(int(name[1:])), end + 1
    except (ValueError, OverflowError):
        pass
    return "&", position + 1


def _read_end_tag(text: str, position: int) -> tuple[str, int]:
    end = text.find(">", position)
    if end == -1:
        raise HtmlParseError(f"can't parse entities: Unclosed end tag at {_Where(text, position)}")
    return text[position + 2 : end].strip().lower(), end + 1


def _read_start_tag(text: str, position: int, out_offset: int) -> tuple[_OpenTag, int]:
    where = _Where(text, position)
    name_end = position + 1
    while name_end < len(text) and (text[name_end].isalnum() or text[name_end] == "-"):
        name_end += 1
    name = text[position + 1 : name_end].lower()
    if name not in _TAG_ENTITY_TYPES:
        raise HtmlParseError(f'can\'t parse entities: Unsupported start tag "{name}" at {where}')
    attributes, end = _read_attributes(text, name_end)
    if end == -1:
        raise HtmlParseError(f"can't parse entities: Unclosed start tag at {where}")
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlParseError(
            f'can\'t parse entities: Tag "span" must have class "tg-spoiler" at {where}'
        )
    return _OpenTag(name, out_offset, attributes), end + 1


def _read_attributes(text: str, position: int) -> tuple[dict[str, str], int]:
    """Reads ``name="value"`` pairs up to ``>``; returns them and the index of ``>`` (or -1)."""
    attributes: dict[str, str] = {}
    while position < len(text):
        char = text[position]
        if char == ">":
            return attributes, position
        if char.isspace():
            position += 1
            continue
        name_end = position
        while name_end < len(text) and text[name_end] not in "=> \t\n":
            name_end += 1
        name = text[position:name_end].lower()
        position = name_end
        value = ""
        if position < len(text) and text[position] == "=":
            position += 1
            if position < len(text) and text[position] in "\"'":
                close = text.find(text[position], position + 1)
                if close == -1:
                    return attributes, -1
                value = text[position + 1 : close]
                position = close + 1
            else:
                value_end = position
                while value_end < len(text) and text[value_end] not in "> \t\n":
                    value_end += 1
                value = text[position:value_end]
                position = value_end
        attributes[name] = value
    return attributes, -1


def _close_tag(
    stack: list[_OpenTag],
    name: str,
    out_offset: int,
    where: _Where,
    entities: list[tuple[int, dict[str, Any]]],
) -> None:
    """Pops the matching start tag and appends its entity (with its opening order)."""
    if not stack:
        raise HtmlParseError(f"can't parse entities: Unexpected end tag at {where}")
    tag = stack.pop()
    if tag.name != name:
        raise HtmlParseError(
            f"can't parse entities: Unmatched end tag at {where}, "
            f'expected "</{tag.name}>", found "</{name}>"'
        )
    length = out_offset - tag.offset
    if length == 0:
        # Telegram drops entities that cover nothing.
        return
    entity: dict[str, Any] = {
        "type": _TAG_ENTITY_TYPES[tag.name],
        "offset": tag.offset,
        "length": length,
    }
    if tag.name == "a":
        entity["url"] = tag.attributes.get("href", "")
    elif tag.name == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attributes.get("emoji-id", "")
    elif tag.name == "code" and tag.attributes.get("class", "").startswith("language-"):
        entity["language"] = tag.attributes["class"].removeprefix("language-")
    elif tag.name == "pre" and entities:
        # <pre><code class="language-x"> is one "pre" entity with a language, not two.
        inner = entities[-1][1]
        same_range = (inner["offset"], inner["length"]) == (tag.offset, length)
        if inner["type"] == "code" and same_range and "language" in inner:
            entity["language"] = inner["language"]
            entities.pop()
    entities.append((tag.sequence, entity))


def _strip_whitespace(parsed: ParsedText) -> ParsedText:
    """Strips leading and trailing whitespace and clips the entities, as Telegram does."""
    stripped = parsed.text.strip()
    if stripped == parsed.text:
        return parsed
    lead = utf16_length(parsed.text[: len(parsed.text) - len(parsed.text.lstrip())])
    limit = utf16_length(stripped)
    entities: list[dict[str, Any]] = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, limit)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, tuple(entities))
