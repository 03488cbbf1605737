"""What a viewer is shown of posts: the discussion page's header and reply window, the
catch-up fragments and the live frames all prepare their posts here, so every surface
shows a post the same way.

Reads go through ``discussions.selectors``; nothing here writes, and nothing here
imports a view (views and ``discussions.live.frames`` import this module).
"""

import re
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlencode

from django.db.models import Exists, F, OuterRef, QuerySet, prefetch_related_objects
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import strip_tags

from accounts.selectors import attach_badges, blocked_ids_for
from community.selectors import community_known_to
from discussions.articles import reply_article_for_request
from discussions.fragments import attach_fragments
from discussions.models import Discussion, Reply
from discussions.reaction_bars import present_reactions
from discussions.reading_selectors import reading_state_of, unread_reply_counts, unread_reply_list
from discussions.selectors import (
    Viewer,
    attachment_list_of_discussion,
    attachments_of_replies,
    can_moderate,
    can_see_author,
    discussion_tag_list,
    is_signed_in_member,
    reply_list_most_thanked,
    reply_list_visible_to,
)

# Replies per window: enough to read, few enough that 5,000 replies open fast.
REPLY_WINDOW = 50
# Replies are indented up to this depth; deeper ones say whom they answer.
MAX_INDENT = 4
# Characters of text in a link preview's description.
PREVIEW_LENGTH = 160
# ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
NUMBER = re.compile(r"[0-9]{1,9}")
THREAD_PATH = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9}){0,40}")


# --- Authors ---------------------------------------------------------------------------


# The one set of words for who wrote a post, on every surface (pages, lists, moderation,
# notifications and their emails, live frames).
ANONYMOUS_MEMBER = "Anonymous member"
OWN_ANONYMOUS_POST = "you (anonymous)"
FORMER_MEMBER = "Former member"


@dataclass(frozen=True)
class AuthorLabel:
    """What to call a post's author for one viewer. ``username`` is set only when the
    viewer may know who it is and the account still exists: the label then links to
    their profile. ``slow_to_reply`` is the author's "I may take days to answer", only
    ever set beside a name (never on an anonymous post)."""

    name: str
    username: str = ""
    slow_to_reply: bool = False


def viewer_id(viewer: Viewer) -> int | None:
    return viewer.pk if is_signed_in_member(viewer) else None


def author_label(post: Discussion | Reply, viewer: Viewer) -> AuthorLabel:
    """What ``viewer`` is told about who wrote ``post``, by ``can_see_author``: an
    anonymous post names its author to the author alone ("you (anonymous)"), and an
    account deleted with its posts kept is a former member."""
    if not can_see_author(viewer, post):
        return AuthorLabel(ANONYMOUS_MEMBER)
    if post.is_anonymous:
        return AuthorLabel(OWN_ANONYMOUS_POST)
    if post.author_id is None:
        return AuthorLabel(FORMER_MEMBER)
    return AuthorLabel(post.author.public_name, username=post.author.username, slow_to_reply=post.author.slow_to_reply)


def attach_author_labels(posts: Iterable[Discussion | Reply], viewer: Viewer) -> list[Discussion | Reply]:
    """Set ``author_label`` on each post for this viewer, reading the authors of all
    of them in at most one query per kind of post; ``{% post_author %}`` shows it."""
    posts = list(posts)
    for model in (Discussion, Reply):
        prefetch_related_objects([post for post in posts if isinstance(post, model)], "author")
    for post in posts:
        post.author_label = author_label(post, viewer)
    return posts


def by_blocked_member(post: Discussion | Reply, blocked_ids: set[int]) -> bool:
    # Anonymous posts are never collapsed: that would tell the blocker who wrote them.
    return not post.is_anonymous and post.author_id is not None and post.author_id in blocked_ids


def present_discussion(discussion: Discussion, *, viewer: Viewer, blocked_ids: set[int]) -> Discussion:
    """Set what the discussion page's header needs: the author's label, the badge, and
    whether the viewer blocked the author, and its attachments. One query (the badge), and
    one for the attachments where the discussion has any."""
    discussion.by_blocked = by_blocked_member(discussion, blocked_ids)
    attach_badges([discussion])
    discussion.attachment_list = attachment_list_of_discussion(discussion) if discussion.has_attachments else []
    discussion.author_label = author_label(discussion, viewer)
    return discussion


# --- Replies ---------------------------------------------------------------------------


def present_replies(
    replies: list[Reply],
    *,
    viewer: Viewer,
    discussion: Discussion,
    may_reply: bool = False,
    may_moderate: bool = False,
    blocked_ids: set[int] | None = None,
) -> list[Reply]:
    """Set what ``_reply.html`` needs on each reply, for this viewer, its cached fragment
    included. Two queries at most (professional badges, members the viewer blocked), and
    one for attachments where the discussion has any, whatever the number of replies.

    Replies must carry ``parent_number`` and ``author`` (see ``reply_rows``).
    """
    reader_id = viewer_id(viewer)
    if blocked_ids is None:
        blocked_ids = blocked_ids_for(viewer) if replies else set()
    shown = [reply for reply in replies if not reply.is_tombstone]
    attach_badges(shown)
    attachments = attachments_of_replies(shown) if shown and discussion.has_attachments else {}
    for reply in replies:
        reply.attachment_list = attachments.get(reply.pk, [])
        reply.author_label = author_label(reply, viewer)
        reply.is_discussion_author = (
            not reply.is_anonymous
            and not discussion.is_anonymous
            and reply.author_id is not None
            and reply.author_id == discussion.author_id
        )
        reply.is_own = reader_id is not None and reply.author_id == reader_id
        reply.can_edit = reply.is_own and not reply.is_tombstone and not discussion.is_locked
        reply.can_delete = reply.is_own and not reply.is_tombstone
        reply.can_see_history = reply.is_own and not reply.is_tombstone and reply.edited_at is not None
        reply.can_answer = may_reply and reply.is_published
        reply.indent = min(reply.depth, MAX_INDENT)
        reply.show_parent_link = reply.parent_number is not None and reply.depth > MAX_INDENT
        reply.discussion_pk = discussion.pk
        reply.by_blocked = by_blocked_member(reply, blocked_ids)
        reply.can_flag = reader_id is not None and not reply.is_own and reply.is_published
        reply.can_moderate = may_moderate and not reply.is_tombstone
        if reply.is_tombstone:
            reply.professional_badge = None
    attach_fragments(replies)
    return replies


def reply_rows(queryset: QuerySet[Reply]) -> QuerySet[Reply]:
    """Replies with what ``present_replies`` needs read in the same query."""
    return queryset.select_related("author").annotate(parent_number=F("parent__number"))


def render_reply_html(reply: Reply, *, request: HttpRequest | None = None) -> str:
    return reply_article_for_request(reply, request)


def reply_html_for_viewer(*, viewer: Viewer, discussion: Discussion, number: int) -> str | None:
    """One reply rendered for live updates, or None if the viewer may not see it."""
    reply, shown = reply_get_for_audiences(discussion_id=discussion.pk, number=number, viewers={"viewer": viewer})
    if reply is None or "viewer" not in shown:
        return None
    return reply_html_by_audience(reply, {"viewer": viewer})["viewer"]


def reply_get_for_audiences(
    *, discussion_id: int, number: int, viewers: dict[str, Viewer]
) -> tuple[Reply | None, set[str]]:
    """A reply, read as ``reply_rows`` reads it with its discussion, and the audiences
    whose viewer may see it (``reply_list_visible_to`` asked for each of them: the
    discussion and the reply), in one query. Nothing of it goes to an audience not named."""
    names = {audience: f"shown_to_{index}" for index, audience in enumerate(viewers)}
    discussion = Discussion(pk=discussion_id)
    reply = (
        reply_rows(Reply.objects.select_related("discussion").filter(discussion_id=discussion_id, number=number))
        .annotate(
            **{
                names[audience]: Exists(reply_list_visible_to(viewer, discussion).filter(pk=OuterRef("pk")))
                for audience, viewer in viewers.items()
            }
        )
        .first()
    )
    if reply is None:
        return None, set()
    return reply, {audience for audience, name in names.items() if getattr(reply, name)}


def reply_html_by_audience(reply: Reply, viewers: dict[str, Viewer]) -> dict[str, str]:
    """One reply (from ``reply_get_for_audiences``) rendered for live updates once per
    audience, each for the viewer standing in for it, who may see it. Nothing is read
    from the database, except a moderator's tools (one query).

    A viewer stands in for a whole audience (visitors, members, moderators, the reply's
    author), so nothing personal to the stand-in may shape the HTML: not whom they
    blocked, not whether they in particular may reply (the reply POST checks that for
    each member).
    """
    discussion = reply.discussion
    open_to_replies = discussion.is_published and not discussion.is_locked
    html = {}
    for audience, viewer in viewers.items():
        # Labels and controls are set per audience, each on its own copy of the row.
        theirs = copy(reply)
        present_replies(
            [theirs],
            viewer=viewer,
            discussion=discussion,
            may_reply=is_signed_in_member(viewer) and open_to_replies,
            may_moderate=can_moderate(viewer, discussion),
            blocked_ids=set(),
        )
        present_reactions(
            discussion=discussion,
            replies=[theirs],
            viewer=viewer,
            may_react=is_signed_in_member(viewer) and open_to_replies,
            counted=False,
        )
        html[audience] = render_reply_html(theirs)
    return html


@dataclass
class ReplyWindow:
    replies: list[Reply]
    next_url: str | None
    is_first: bool


def reply_window(viewer: Viewer, discussion: Discussion, *, start: str = "", at: str = "") -> ReplyWindow:
    """A window of REPLY_WINDOW replies in thread order, cut by path (keyset), so
    reading page 100 costs what page 1 costs. ``at`` is a reply number to start at,
    ``start`` the path the previous window ended on (both as typed in the URL)."""
    visible = reply_list_visible_to(viewer, discussion)
    rows = reply_rows(visible)
    is_first = True
    if NUMBER.fullmatch(at):
        anchor = visible.filter(number=int(at)).values_list("path", flat=True).first()
        if anchor:
            rows = rows.filter(path__gte=anchor)
            is_first = False
    elif len(start) <= 255 and THREAD_PATH.fullmatch(start):
        rows = rows.filter(path__gt=start)
        is_first = False
    replies = list(rows.order_by("path")[: REPLY_WINDOW + 1])
    next_url = None
    if len(replies) > REPLY_WINDOW:
        following = replies.pop()
        next_url = "?" + urlencode({"from": replies[-1].path}) + f"#reply-{following.number}"
    return ReplyWindow(replies=replies, next_url=next_url, is_first=is_first)


# ?order=thanked: an order the reader chooses; the thread's own order stays the default.
ORDER_THANKED = "thanked"
MAX_PAGE = 10**6


def reply_window_most_thanked(viewer: Viewer, discussion: Discussion, *, page: str = "") -> ReplyWindow:
    """A window of REPLY_WINDOW published replies, the most thanked first
    (``reply_list_most_thanked``), cut by page number (``?order=thanked&page=2``): a rank
    moves as members react, so there is no stable key to cut by. Replies are not indented
    here; each says which reply it answers."""
    number = int(page) if NUMBER.fullmatch(page) and 1 <= int(page) <= MAX_PAGE else 1
    start = (number - 1) * REPLY_WINDOW
    rows = reply_rows(reply_list_most_thanked(viewer, discussion))
    replies = list(rows[start : start + REPLY_WINDOW + 1])
    next_url = None
    if len(replies) > REPLY_WINDOW:
        replies.pop()
        next_url = "?" + urlencode({"order": ORDER_THANKED, "page": number + 1}) + "#replies-heading"
    return ReplyWindow(replies=replies, next_url=next_url, is_first=number == 1)


def flatten_for_ranking(replies: list[Reply]) -> None:
    """Out of conversation order, indentation means nothing: every reply that answers
    another names it instead."""
    for reply in replies:
        reply.indent = 0
        reply.show_parent_link = reply.parent_number is not None


def _in_first_window(discussion: Discussion, reply: Reply, viewer: Viewer) -> bool:
    # A discussion that never numbered more than a window of replies has them all in its
    # first window (most replies are posted in such a discussion).
    if discussion.last_reply_number <= REPLY_WINDOW:
        return True
    # The newest top-level reply comes after every other one in thread order, and every
    # published reply is shown to whoever may read the discussion: with more than a window
    # of them, it is past the first (a reply just posted to a long thread, usually).
    is_last = reply.depth == 0 and reply.number == discussion.last_reply_number
    if is_last and discussion.published_reply_count > REPLY_WINDOW:
        return False
    return reply_list_visible_to(viewer, discussion).filter(path__lt=reply.path).count() < REPLY_WINDOW


def reply_url(discussion: Discussion, reply: Reply, viewer: Viewer) -> str:
    """Where a reply can be seen: the first window if it is in it, else a window
    starting at the reply. Counts what comes before it only when it must."""
    base = reverse("discussions:detail_short", kwargs={"pk": discussion.pk})
    if _in_first_window(discussion, reply, viewer):
        return f"{base}#reply-{reply.number}"
    return f"{base}?at={reply.number}#reply-{reply.number}"


# --- What a low-energy reader missed -----------------------------------------------------

# Replies named in "What you missed"; the rest are counted.
MISSED_LIST_LENGTH = 10


@dataclass
class Missed:
    count: int
    replies: list[Reply]
    since: int

    @property
    def more(self) -> int:
        return self.count - len(self.replies)


def first_unread_url(viewer: Viewer, discussion: Discussion, *, after: int) -> str | None:
    """Where a low-energy reader opens a discussion they have read up to reply ``after``:
    a window starting at the first unread reply in thread order, scrolled to it by its
    anchor (no script needed); when the thread's first window holds it, that window,
    scrolled to it. ``since`` keeps "What you missed" on the page it opens, and tells
    the page it has been opened where it should. None when nothing is unread."""
    first = unread_reply_list(viewer, discussion, after=after).order_by("path").first()
    if first is None:
        return None
    base = reverse("discussions:detail_short", kwargs={"pk": discussion.pk})
    if reply_url(discussion, first, viewer).startswith(base + "#"):
        return f"{base}?{urlencode({'since': after})}#reply-{first.number}"
    return f"{base}?{urlencode({'at': first.number, 'since': after})}#reply-{first.number}"


def missed_replies(viewer: Viewer, discussion: Discussion, *, after: int, shown: Iterable[int]) -> Missed | None:
    """The unread replies after ``after``, oldest first: who wrote them (the one author
    label) and where each is, for "What you missed". Only what the page itself shows:
    numbers and author labels, no text. Two queries (how many, and the first few)."""
    unread = unread_reply_list(viewer, discussion, after=after)
    count = unread.count()
    if not count:
        return None
    replies = list(unread.select_related("author").order_by("number")[:MISSED_LIST_LENGTH])
    attach_author_labels(replies, viewer)
    on_page = set(shown)
    base = reverse("discussions:detail_short", kwargs={"pk": discussion.pk})
    for reply in replies:
        if reply.number in on_page:
            reply.missed_url = f"#reply-{reply.number}"
        else:
            reply.missed_url = f"{base}?{urlencode({'at': reply.number})}#reply-{reply.number}"
    return Missed(count=count, replies=replies, since=after)


# --- Reading state: new replies, following, saved -------------------------------------------


def mark_unread(discussions: Iterable[Discussion], viewer: Viewer) -> list[Discussion]:
    """Mark listed discussions for a signed-in viewer: ``new_replies``, how many replies
    are new since they last had it open, and ``is_unopened`` for one they never opened
    (and did not start). One query for the whole list; nothing for visitors."""
    items = list(discussions)
    if not is_signed_in_member(viewer):
        return items
    counts = unread_reply_counts(viewer, [discussion.pk for discussion in items])
    for discussion in items:
        discussion.new_replies = counts.get(discussion.pk, 0)
        discussion.is_unopened = discussion.pk not in counts and discussion.author_id != viewer.pk
    return items


@dataclass(frozen=True)
class ReadingMarks:
    """The viewer's own marks on the discussion page, as they were before this visit,
    and their reply draft (``draft``: body and content warning, or None)."""

    following: bool
    saved: bool
    new_replies: int
    first_unread_url: str | None
    draft: dict | None = None
    position: int | None = None  # how far they had read (None: never opened)


def reading_marks(
    viewer: Viewer, discussion: Discussion, *, shown: Iterable[int], count_unread: bool = True
) -> ReadingMarks:
    """Whether the viewer follows and saved the discussion, how many replies are new to
    them, and where the first of those is in thread order: on this window, its anchor;
    otherwise a window starting at it. Read before the visit moves the position on.
    One query (``reading_state_of``); without ``count_unread`` (the page already lists
    what a low-energy reader missed) nothing is said to be new."""
    state = reading_state_of(viewer, discussion)
    new_replies, first = 0, None
    if count_unread and state["position"] is not None:
        new_replies = state["new_replies"]
        if state["first_new_path"]:
            # A path ends with the reply's own number; the smallest path is first in thread order.
            first = int(state["first_new_path"].rsplit(".", 1)[-1])
    url = None
    if first is not None:
        if first in set(shown):
            url = f"#reply-{first}"
        else:
            base = reverse("discussions:detail_short", kwargs={"pk": discussion.pk})
            url = f"{base}?{urlencode({'at': first})}#reply-{first}"
    draft = None
    if state["draft_body"] is not None:
        draft = {"body": state["draft_body"], "content_warning": state["draft_content_warning"]}
    return ReadingMarks(
        following=state["following"],
        saved=state["saved"],
        new_replies=new_replies,
        first_unread_url=url,
        draft=draft,
        position=state["position"],
    )


# --- Hashtags and link previews ------------------------------------------------------------


def tag_links(discussion: Discussion, viewer: Viewer) -> list[dict]:
    """The discussion's hashtags the viewer may know of (``community_known_to``): a member
    of one private community must not learn of another it is also tagged into."""
    links = []
    tags = discussion_tag_list(discussion)
    # Read here anyway, so Discussion.is_public needs no query of its own.
    discussion.in_private_community = any(
        getattr(tag, "community", None) is not None and tag.community.is_private for tag in tags
    )
    for tag in tags:
        community = getattr(tag, "community", None)
        if community is not None and not community_known_to(viewer, community):
            continue
        slug = community.slug if community is not None else tag.slug
        links.append({"slug": slug, "name": community.name if community is not None else tag.name})
    return links


def tag_slugs(discussion: Discussion, viewer: Viewer) -> list[str]:
    return [tag["slug"] for tag in tag_links(discussion, viewer)]


def link_preview(discussion: Discussion, *, is_public: bool) -> dict | None:
    """Open Graph and description meta, for public discussions only (``Discussion.is_public``).
    Behind a content warning the description is the warning's label, never the text."""
    if not is_public:
        return None
    if discussion.content_warning:
        description = f"Content warning: {discussion.content_warning}"
    else:
        text = " ".join(unescape(strip_tags(discussion.body_html)).split())
        description = text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1].rstrip() + "…"
    return {"title": discussion.title, "description": description, "type": "article"}
