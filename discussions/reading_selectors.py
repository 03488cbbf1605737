"""A member's reading state: how far they read, what is new to them, what they saved
and follow. Private to the member: every read here is of the viewer's own rows, and
names only discussions the visibility rule (``discussions.selectors``) lets them read.
"""

from django.db.models import Count, Exists, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from accounts.selectors import is_signed_in_member
from discussions.models import Bookmark, Discussion, DiscussionFollow, Draft, ReadingPosition, Reply
from discussions.selectors import (
    Viewer,
    discussion_list_visible_in,
    discussion_list_visible_to,
    discussion_tags_known_to,
    reply_list_visible_to,
    visibility_shape,
)
from spoonful.prepared import PreparedQuery

# --- Reading positions ----------------------------------------------------------------


def reading_position_of(viewer: Viewer, discussion: Discussion) -> int | None:
    """The highest reply number the viewer has had on screen here, or None if they
    never opened the page (or are not signed in). One query."""
    if not is_signed_in_member(viewer):
        return None
    return (
        ReadingPosition.objects.filter(user=viewer, discussion=discussion).values_list("last_number", flat=True).first()
    )


def unread_reply_list(viewer: Viewer, discussion: Discussion, *, after: int) -> QuerySet[Reply]:
    """Published replies numbered after ``after`` that the viewer may read and did not write."""
    return (
        reply_list_visible_to(viewer, discussion)
        .filter(number__gt=after, status=Reply.Status.PUBLISHED)
        .exclude(author_id=viewer.pk)
    )


def reading_position_list_for_export(user: User) -> QuerySet[ReadingPosition]:
    return ReadingPosition.objects.filter(user=user).order_by("discussion_id")


# --- Unread counts, saved and followed discussions -----------------------------------------
#
# A member's reading state is theirs alone: every read below is of the viewer's own rows,
# and it names only discussions the viewer may read now (``discussion_list_visible_to``),
# so a discussion that became private to them drops out of /saved/ and /following/ with its
# title, and its count.


def _unread_count(reader_id: int) -> Coalesce:
    """For an outer ReadingPosition row: how many published replies by others in its
    discussion are numbered after its ``last_number``.

    Counted rows must be readable by the viewer (``reply_list_readable_by``). They are:
    the outer rows only ever name discussions from ``discussion_list_visible_to``, and a
    published reply is readable by everyone who may read its discussion. Held, hidden,
    removed and deleted replies are not published, so they never show through a count.
    """
    unread = (
        Reply.objects.filter(discussion_id=OuterRef("discussion_id"), status=Reply.Status.PUBLISHED)
        .filter(number__gt=OuterRef("last_number"))
        .exclude(author_id=reader_id)
        .order_by()
        .values("discussion_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread), Value(0))


def unread_reply_counts(viewer: Viewer, discussion_ids: list[int]) -> dict[int, int]:
    """For a list of discussions: each one the viewer has opened (and may still read),
    with how many replies are new to them. One query, whatever the length of the list.
    A discussion missing from the answer was never opened: it is "new" as a whole.

    Prepared (``spoonful.prepared``): every list page asks this for its items."""
    if not is_signed_in_member(viewer) or not discussion_ids:
        return {}
    return dict(_unread_reply_counts(visibility_shape(viewer), reader_id=viewer.pk, ids=sorted(set(discussion_ids))))


_unread_reply_counts = PreparedQuery(
    lambda *shape, reader_id, ids: (
        ReadingPosition.objects.filter(
            user_id=reader_id,
            discussion_id__in=discussion_list_visible_in(shape, reader_id).filter(pk__in=ids).values("pk"),
        )
        .annotate(unread=_unread_count(reader_id))
        .values_list("discussion_id", "unread")
    ),
    integers=("reader_id",),
    id_list="ids",
)


READING_STATE_FIELDS = (
    "position",
    "following",
    "saved",
    "new_replies",
    "first_new_path",
    "draft_body",
    "draft_content_warning",
)


def reading_state_of(viewer: User, discussion: Discussion) -> dict:
    """The viewer's own marks on one discussion they may read, in one query: ``position``
    (None if never opened), ``following``, ``saved``; ``new_replies`` and ``first_new_path``:
    how many published replies by others are numbered after the position, and the first
    of them in thread order (readable, as ``_unread_count`` says, being published in a
    discussion they may read); and their reply draft's ``draft_body`` and
    ``draft_content_warning`` (None without one)."""
    found = _reading_state((), user_id=viewer.pk, discussion_id=discussion.pk, draft_key=Draft.reply_key(discussion.pk))
    return found[0]


def _reading_state_query(*, user_id: int, discussion_id: int, draft_key: str) -> QuerySet:
    own = {"user_id": user_id, "discussion": OuterRef("pk")}
    position = ReadingPosition.objects.filter(user_id=user_id, discussion=OuterRef(OuterRef("pk"))).values(
        "last_number"
    )
    new = (
        Reply.objects.filter(discussion=OuterRef("pk"), status=Reply.Status.PUBLISHED)
        .filter(number__gt=Subquery(position[:1]))
        .exclude(author_id=user_id)
        .order_by()
        .values("discussion")
    )
    draft = Draft.objects.filter(user_id=user_id, key=draft_key)
    return (
        Discussion.objects.filter(pk=discussion_id)
        .annotate(
            position=Subquery(ReadingPosition.objects.filter(**own).values("last_number")[:1]),
            following=Exists(DiscussionFollow.objects.filter(**own, is_following=True)),
            saved=Exists(Bookmark.objects.filter(**own)),
            new_replies=Coalesce(Subquery(new.annotate(n=Count("pk")).values("n")), Value(0)),
            first_new_path=Subquery(new.annotate(first=Min("path")).values("first")),
            draft_body=Subquery(draft.values("body")[:1]),
            draft_content_warning=Subquery(draft.values("content_warning")[:1]),
        )
        .values(*READING_STATE_FIELDS)
    )


# Opened with every discussion page a member reads: prepared once (``spoonful.prepared``).
_reading_state = PreparedQuery(
    _reading_state_query, integers=("user_id", "discussion_id"), texts=("draft_key",), shapes=1
)


def bookmark_list_of(viewer: User) -> QuerySet[Bookmark]:
    """The viewer's saved discussions they may still read, most recently saved first."""
    visible = discussion_list_visible_to(viewer).values("pk")
    return (
        Bookmark.objects.filter(user=viewer, discussion_id__in=visible)
        .select_related("discussion")
        .order_by("-created_at", "-pk")
    )


def bookmark_of(viewer: User, discussion: Discussion) -> Bookmark | None:
    return Bookmark.objects.filter(user=viewer, discussion=discussion).first()


def followed_discussion_list(viewer: User) -> QuerySet[Discussion]:
    """Discussions the viewer follows and may still read, most recent activity first."""
    follows = DiscussionFollow.objects.filter(user=viewer, discussion=OuterRef("pk"), is_following=True)
    return (
        discussion_list_visible_to(viewer)
        .filter(Exists(follows))
        .select_related("author")
        .prefetch_related(discussion_tags_known_to(viewer))
        .order_by("-last_activity_at", "-pk")
    )


def bookmark_list_for_export(user: User) -> QuerySet[Bookmark]:
    return Bookmark.objects.filter(user=user).order_by("created_at", "pk")


def discussion_follow_list_for_export(user: User) -> QuerySet[DiscussionFollow]:
    return DiscussionFollow.objects.filter(user=user).order_by("discussion_id")
