"""EVE's HTML-ish bio and description text, made safe to show (nh3, the Ammonia sanitizer)."""

from __future__ import annotations

import re
from typing import Final

import nh3
from markupsafe import Markup

# EVE clients write <font size="..." color="#ffffffff">, <b>, <i>, <u>, <br> and <a href>
# with showinfo:/killReport: links; only plain formatting and web links survive.
_TAGS: Final = frozenset({"a", "b", "i", "u", "br", "p", "strong", "em", "ul", "ol", "li"})
_ATTRIBUTES: Final = {"a": {"href"}}
_SCHEMES: Final = frozenset({"http", "https"})
# ESI returns some descriptions as a Python-literal string, u'...' with \\uXXXX escapes.
_PY_LITERAL: Final = re.compile(r"^u'(.*)'$", re.DOTALL)


def _unwrap(text: str) -> str:
    found = _PY_LITERAL.match(text)
    if not found:
        return text
    try:
        return found.group(1).encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return found.group(1)


def sanitize_description(text: str | None) -> Markup:
    """Safe HTML for an EVE description: formatting kept, scripts, styles and odd links gone."""
    if not text:
        return Markup("")
    cleaned = nh3.clean(
        _unwrap(text).replace("\n", "<br>"),
        tags=set(_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)
