"""Markdown to the small, safe HTML subset posts are shown in.

Two layers, so a mistake in one is caught by the other:

1. Python-Markdown runs with raw HTML switched off: ``<script>`` typed in a post
   is text, escaped like any other text. Hashtags become links on the parsed
   text (never by string-replacing HTML), and only for public communities.
2. nh3 (ammonia) then keeps only an allow-list of tags and attributes, keeps
   only http, https, mailto and relative links, and marks every link
   ``rel="nofollow ugc noopener noreferrer"``.

Rendering is bounded: bodies are at most ``MAX_BODY_LENGTH`` characters and the
inputs Python-Markdown handles in quadratic time or by deep recursion are
defused before or after parsing, so the largest allowed post renders in well
under 200 ms.
"""

import html
import logging
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable

import markdown
import nh3
from django.contrib.auth.models import AnonymousUser
from markdown.blockprocessors import HashHeaderProcessor
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from community.hashtags import HASHTAG_IN_TEXT, hashtags_in_text
from community.selectors import community_resolve

logger = logging.getLogger(__name__)

MAX_BODY_LENGTH = 20_000
MAX_TITLE_LENGTH = 200
# Deeper quoting than this is never conversation, only an attempt to make the
# parser (and every reader's browser) build thousands of nested elements.
MAX_QUOTE_DEPTH = 10
# Python-Markdown scans ahead for the closing bracket of every '[' it meets, so
# unmatched brackets cost quadratic time; past this many the post is shown as
# plain text.
MAX_LINK_BRACKETS = 400
# Hashtags looked up per post; the rest stay plain text.
MAX_LINKED_HASHTAGS = 25

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
}
# "*" empty: no generic attributes (nh3 would otherwise keep lang and title).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "ol": {"start"}, "*": set()}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener noreferrer"

# Control characters other than tab and newlines: NUL breaks PostgreSQL text,
# and STX/ETX are Python-Markdown's own placeholder markers.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_QUOTE_PREFIX = re.compile(r"^[ \t]*((?:>[ \t]*)+)", re.MULTILINE)
# A line opening with this many quote or list markers nests too deep to parse.
MAX_CONTAINER_DEPTH = 12
_DEEP_CONTAINERS = re.compile(
    r"^[ \t]*(?:(?:>[ \t]*)|(?:(?:[*+-]|\d{1,9}[.)])[ \t]+)){" + str(MAX_CONTAINER_DEPTH + 1) + ",}", re.MULTILINE
)
_URL_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_INVISIBLE_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def strip_control_characters(text: str) -> str:
    """What a member typed, minus characters no post needs (and lone surrogates)."""
    return _CONTROL_CHARACTERS.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def markdown_problem(source: str) -> str | None:
    """Why a body cannot be accepted, in words a member can act on, or None."""
    if len(source) > MAX_BODY_LENGTH:
        return f"Please keep it under {MAX_BODY_LENGTH:,} characters (this has {len(source):,})."
    deepest = max((match.group(1).count(">") for match in _QUOTE_PREFIX.finditer(source)), default=0)
    if deepest > MAX_QUOTE_DEPTH:
        return f"Quotes can be nested at most {MAX_QUOTE_DEPTH} levels deep."
    return None


class _SpacedHashHeaderProcessor(HashHeaderProcessor):
    """'# Heading' needs its space, so '#mecfs' at the start of a line stays a hashtag."""

    RE = re.compile(r"(?:^|\n)(?P<level>#{1,6})[ \t]+(?P<header>(?:\\.|[^\\])*?)#*(?:\n|$)")


class _PostTreeprocessor(Treeprocessor):
    """Headings fit under the page's own (h1 title, h2 sections), and hashtags link."""

    HEADING_LEVELS = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}
    NO_LINKS_INSIDE = {"a", "code", "pre"}

    def __init__(self, md: markdown.Markdown, hashtag_links: dict[str, str]) -> None:
        super().__init__(md)
        self.hashtag_links = hashtag_links

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag in self.HEADING_LEVELS:
                element.tag = self.HEADING_LEVELS[element.tag]
        if self.hashtag_links:
            self._link_hashtags(root)

    def _link_hashtags(self, element: etree.Element) -> None:
        if element.tag in self.NO_LINKS_INSIDE:
            return
        for child in list(element):
            self._link_hashtags(child)
        # Text directly inside this element, then the text after each child.
        new_text, links = self._split(element.text)
        if links:
            element.text = new_text
            for offset, link in enumerate(links):
                element.insert(offset, link)
        for child in list(element):
            new_tail, links = self._split(child.tail)
            if links:
                child.tail = new_tail
                position = list(element).index(child) + 1
                for offset, link in enumerate(links):
                    element.insert(position + offset, link)

    def _split(self, text: str | None) -> tuple[str | None, list[etree.Element]]:
        """Cut text at linkable hashtags: the text before the first, and one <a> per
        hashtag carrying the text up to the next one as its tail."""
        if not text or "#" not in text:
            return text, []
        head: str | None = None
        links: list[etree.Element] = []
        cursor = 0
        for match in HASHTAG_IN_TEXT.finditer(text):
            slug = self.hashtag_links.get(match.group(1).lower())
            if slug is None:
                continue
            before = text[cursor : match.start()]
            if links:
                links[-1].tail = before
            else:
                head = before
            link = etree.Element("a", {"href": f"/c/{slug}/"})
            link.text = match.group(0)
            links.append(link)
            cursor = match.end()
        if not links:
            return text, []
        links[-1].tail = text[cursor:]
        return head, links


class _SafePostExtension(Extension):
    def __init__(self, hashtag_links: dict[str, str]) -> None:
        super().__init__()
        self.hashtag_links = hashtag_links

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Raw HTML is never passed through: without these, '<b>' is plain text.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # Images are not allowed; '![alt](url)' reads as '!' and a link instead.
        md.inlinePatterns.deregister("image_link")
        md.inlinePatterns.deregister("image_reference")
        md.inlinePatterns.deregister("short_image_ref")
        md.parser.blockprocessors.register(_SpacedHashHeaderProcessor(md.parser), "hashheader", 70)
        md.treeprocessors.register(_PostTreeprocessor(md, self.hashtag_links), "spoonful_post", 5)


def _safe_href(value: str) -> str | None:
    """A second look at each link after nh3's own: whatever a browser would read
    as a scheme (ignoring the whitespace and control characters it skips) must be
    an allowed one."""
    compact = _INVISIBLE_IN_URL.sub("", html.unescape(value))
    scheme = _URL_SCHEME.match(compact)
    if scheme and scheme.group(1).lower() not in ALLOWED_URL_SCHEMES:
        return None
    return value


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        return _safe_href(value)
    return value


def sanitise_html(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def public_hashtag_links(names: Iterable[str]) -> dict[str, str]:
    """Typed hashtag -> canonical slug, for communities anyone may know of.

    Looked up as a signed-out visitor would, so a post never links (and so never
    reveals) a private community, whoever wrote or reads it.
    """
    links: dict[str, str] = {}
    for name in list(dict.fromkeys(names))[:MAX_LINKED_HASHTAGS]:
        community = community_resolve(name, viewer=AnonymousUser())
        if community is not None and not community.is_private:
            links[name] = community.slug
    return links


def _plain_text_html(source: str) -> str:
    paragraphs = [part for part in re.split(r"\n{2,}", source) if part.strip()]
    return "".join("<p>" + html.escape(part).replace("\n", "<br>") + "</p>" for part in paragraphs)


def render_markdown(source: str, *, resolve_hashtags: Callable[[Iterable[str]], dict[str, str]] | None = None) -> str:
    """Safe HTML for a post body. ``resolve_hashtags`` maps typed hashtags to
    community slugs (default: public communities, from the database)."""
    source = strip_control_characters(source)[:MAX_BODY_LENGTH]
    if source.count("[") > MAX_LINK_BRACKETS or _DEEP_CONTAINERS.search(source):
        # What Python-Markdown would parse slowly or recurse on: shown as typed.
        return sanitise_html(_plain_text_html(source))
    resolver = resolve_hashtags or public_hashtag_links
    hashtag_links = resolver(hashtags_in_text(source)) if "#" in source else {}
    converter = markdown.Markdown(
        extensions=["fenced_code", "sane_lists", "nl2br", _SafePostExtension(hashtag_links)],
        output_format="html",
    )
    try:
        rendered = converter.convert(source)
    except RecursionError:
        # Thousands of nested lists: show the text as typed rather than fail.
        logger.info("markdown nesting too deep; rendering a post as plain text")
        rendered = _plain_text_html(source)
    return sanitise_html(rendered)
