"""HTML pages reduced to article text (trafilatura), so batch jobs can take saved web pages.

Chosen over readability-lxml and inscriptis after a side-by-side run on a news page: trafilatura alone dropped
the menu, the cookie banner, the "read also" box and the footer, works offline, and also reads the title and
publication date from the page's metadata. The extracted text is what gets stored with each batch record, so
evidence offsets always refer to that stored text, never to the raw HTML.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ..errors import InputRejected

__all__ = ["HtmlArticle", "html_to_article"]

log = logging.getLogger("parley")
_BLANKS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class HtmlArticle:
    """The article text of one page, with the metadata the page declares (None when absent)."""

    text: str
    title: str | None = None
    published: str | None = None
    url: str | None = None


def html_to_article(html: str, *, url: str | None = None) -> HtmlArticle:
    """Main text of `html`, blocks separated by blank lines; raises `InputRejected` when there is none."""
    import trafilatura

    body = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False, favor_precision=True, deduplicate=True
    )
    if not body:
        body = _fallback_text(html)
    # trafilatura separates blocks with one newline; a blank line keeps headlines out of the first sentence.
    text = _BLANKS.sub("\n\n", body.replace("\r\n", "\n").replace("\n", "\n\n")).strip()
    if not text:
        raise InputRejected(
            "the HTML page holds no article text (empty after removing markup and boilerplate)"
        )
    title = published = None
    page_url = url
    try:
        meta = trafilatura.extract_metadata(html, default_url=url)
    except Exception as exc:  # metadata is a bonus: a page with odd markup still yields its text
        log.debug("no metadata from HTML page: %s", exc)
        meta = None
    if meta is not None:
        title = meta.title or None
        published = meta.date or None
        page_url = page_url or meta.url or None
    return HtmlArticle(text=text, title=title, published=published, url=page_url)


def _fallback_text(html: str) -> str:
    """Very short pages fall under trafilatura's length thresholds: keep the visible text of <body>."""
    import lxml.html

    try:
        doc = lxml.html.fromstring(html)
    except Exception:  # lxml raises a handful of unrelated types for empty or broken documents
        return ""
    for bad in doc.xpath("//script|//style|//nav|//footer|//header|//noscript"):
        bad.drop_tree()
    blocks = [" ".join(el.text_content().split()) for el in doc.xpath("//p|//h1|//h2|//h3|//li")]
    blocks = [b for b in blocks if b]
    if not blocks:
        blocks = [" ".join(doc.text_content().split())]
    return "\n".join(blocks)
