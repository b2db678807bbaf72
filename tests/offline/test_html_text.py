"""Telegram's HTML parse mode as the fake stores it: plain text plus UTF-16 entities."""

from typing import Any

import pytest

from bot.offline.html_text import HtmlParseError, ParsedText, parse_html, parse_text


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("纯文本", ParsedText("纯文本")),
        ("<b>第 7/34 项</b>", ParsedText(
            "第 7/34 项", ({"type": "bold", "offset": 0, "length": 8},))),
        ("a &lt;b&gt; &amp; &quot;", ParsedText('a <b> & "')),
        ("&#20013;&#x6587;", ParsedText("中文")),
        ("&nbsp;&copy", ParsedText("&nbsp;&copy")),
        ("😀<i>x</i>", ParsedText("😀x", ({"type": "italic", "offset": 2, "length": 1},))),
        ('<a href="https://example.org">链接</a>', ParsedText(
            "链接", ({"type": "text_link", "offset": 0, "length": 2,
                      "url": "https://example.org"},))),
        ("<b>粗<i>斜</i></b>", ParsedText("粗斜", (
            {"type": "bold", "offset": 0, "length": 2},
            {"type": "italic", "offset": 1, "length": 1}))),
        ('<pre><code class="language-python">x</code></pre>', ParsedText("x", (
            {"type": "pre", "offset": 0, "length": 1, "language": "python"},))),
        ("<u><b>x</b></u>", ParsedText("x", (
            {"type": "underline", "offset": 0, "length": 1},
            {"type": "bold", "offset": 0, "length": 1}))),
        ("<blockquote expandable>引用</blockquote>", ParsedText(
            "引用", ({"type": "expandable_blockquote", "offset": 0, "length": 2},))),
        ('<span class="tg-spoiler">x</span>', ParsedText(
            "x", ({"type": "spoiler", "offset": 0, "length": 1},))),
        ("<B>x</B>", ParsedText("x", ({"type": "bold", "offset": 0, "length": 1},))),
    ],
)  # fmt: skip
def test_html_is_parsed_into_text_and_entities(html: str, expected: ParsedText) -> None:
    assert parse_html(html) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<b>x", "can't parse entities: Can't find end tag corresponding to start tag \"b\""),
        ("<br>", 'can\'t parse entities: Unsupported start tag "br" at byte offset 0'),
        ("分<p>", 'can\'t parse entities: Unsupported start tag "p" at byte offset 3'),
        ("1 < 2", 'can\'t parse entities: Unsupported start tag "" at byte offset 2'),
        ("</b>", "can't parse entities: Unexpected end tag at byte offset 0"),
        ("<b>x</b", "can't parse entities: Unclosed end tag at byte offset 4"),
    ],
)
def test_malformed_html_is_refused_with_telegrams_wording(html: str, expected: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(html)
    assert str(caught.value) == expected


@pytest.mark.parametrize(
    ("text", "parse_mode", "entities", "expected"),
    [
        ("  <b>x</b>  ", "HTML", None, ParsedText("x", ({"type": "bold", "offset": 0,
                                                          "length": 1},))),
        ("<b> x </b>y", "HTML", None, ParsedText("x y", ({"type": "bold", "offset": 0,
                                                           "length": 2},))),
        ("<b>x</b>", None, None, ParsedText("<b>x</b>")),
        ("<b>x</b>", "MarkdownV2", None, ParsedText("<b>x</b>")),
        ("xy", None, [{"type": "bold", "offset": 0, "length": 1}],
         ParsedText("xy", ({"type": "bold", "offset": 0, "length": 1},))),
    ],
)  # fmt: skip
def test_text_is_stripped_of_surrounding_whitespace_as_telegram_stores_it(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None, expected: ParsedText
) -> None:
    assert parse_text(text, parse_mode, entities) == expected
