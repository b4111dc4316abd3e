"""HTML mail to plain text, with the quoted original taken out before it is flattened.

In HTML the quoted history is usually marked up (Gmail's ``gmail_quote``, Thunderbird's
``moz-cite-prefix`` and ``<blockquote type="cite">``, Outlook's ``divRplyFwdMsg``, Hotmail's
``<hr id="stopSpelling">``), which is more reliable than guessing from the text. Those
elements go first; inscriptis then renders what is left as a person would see it, and the
plain-text rules of ``reply.py`` catch the clients that mark nothing up (Outlook's header block).
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from inscriptis import get_text
from lxml import etree

from bridge.parsing.reply import visible_reply

__all__ = ["html_to_text"]

_QUOTES = (
    "//blockquote",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' yahoo_quoted ')]",
    "//head",
    "//style",
    "//script",
)
# Everything after these (in document order, at their level) is the quoted original.
_CUT_FROM = ("//*[@id='divRplyFwdMsg']", "//*[@id='appendonsend']", "//hr[@id='stopSpelling']")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def html_to_text(html: str) -> str:
    """The visible new text of an HTML email; an empty string for empty or broken HTML."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (etree.ParserError, ValueError):
        return ""
    _remove_quotes(root)
    rendered = get_text(lxml.html.tostring(root, encoding="unicode"))
    dedented = "\n".join(line.strip() for line in rendered.splitlines())
    return visible_reply(dedented)


def _remove_quotes(root: Any) -> None:
    for path in _CUT_FROM:
        for element in root.xpath(path):
            for sibling in [element, *element.itersiblings()]:
                sibling.tail = None  # the text after it is part of the quote too
                _drop(sibling)
    for path in _QUOTES:
        for element in root.xpath(path):
            _drop(element)


def _drop(element: Any) -> None:
    if element.getparent() is not None:
        element.drop_tree()
