"""What a host writes that needs work to show: a workshop's Markdown description becomes safe
HTML once, when it is saved (off the event loop), and is kept with the row; pages only read it.
A description of 20,000 characters built to be slow ("![" repeated) costs ~0.3 s to render:
paid once per save by its author, never per view."""
from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt

# CommonMark with raw HTML off (typed tags stay text), then nh3 (Ammonia) keeps only these tags
# and attributes, http(s)/mailto links (no `javascript:`), and marks links nofollow
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True})
DESCRIPTION_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
                    "h3", "h4", "h5", "h6", "hr"}
HEADING_SHIFT = 2  # a description's "# Title" is an h3 under the page's h1 and "About" h2


def render_description(text: str) -> str:
    """A workshop's Markdown description as sanitised HTML, headings moved under the page's own."""
    tokens = _MARKDOWN.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + HEADING_SHIFT)}"
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return nh3.clean(html, tags=DESCRIPTION_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer")


async def rendered_description(text: str) -> str:
    """`render_description` in a worker thread: the event loop keeps answering meanwhile."""
    return await asyncio.to_thread(render_description, text) if text else ""


def folded(text: str) -> str:
    """`text` as search compares it: case folded (Unicode's, "ß" → "ss") and accents stripped
    (decomposed, combining marks dropped), so "Vélo" and "VELO" both read "velo"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_text(title: str, summary: str, description: str, tags: Iterable[str]) -> str:
    """What `q` searches in a workshop, kept with the row when it is written: its title,
    summary, description and each tag, folded, one per line (a query never spans two: its own
    line breaks are read as spaces, see `search_pattern`)."""
    return "\n".join(folded(part) for part in (title, summary, description, *tags))
