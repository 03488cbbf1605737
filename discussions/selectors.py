"""Who may see what. The one visibility rule lives here and nowhere else.

Every surface that shows a discussion or a reply (pages, lists, search, related
discussions, notifications, emails, live updates, feeds, JSON) asks this module.
Forbidden and missing look the same to the viewer: both are a 404.
"""

from functools import lru_cache

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from taggit.models import Tag

from accounts.access import access_for
from accounts.models import User
from accounts.selectors import is_signed_in_member, verified_reply_exists
from community.hashtags import hashtags_in_text
from community.models import Community
from community.selectors import community_resolve, tag_known_to
from discussions.models import (
    Attachment,
    Discussion,
    DiscussionTag,
    Reaction,
    Reply,
    Revision,
    Visibility,
)
from moderation.selectors import can_moderate_post, communities_of, posting_refusal
from spoonful.prepared import PreparedQuery

Viewer = User | AnonymousUser

READABLE_REPLY_STATES = (Reply.Status.PUBLISHED, Reply.Status.REMOVED, Reply.Status.DELETED)
OWN_PENDING_STATES = (Discussion.Status.HELD,)


def _tagged_into(**community_filter) -> Exists:
    return Exists(
        DiscussionTag.objects.filter(
            content_object=OuterRef("pk"),
            **{f"tag__community__{key}": value for key, value in community_filter.items()},
        )
    )


# What the visibility rule's SQL depends on in a viewer's access context: whether they are
# a signed-in member, staff, and the communities they are an active member of. Their id is
# a value in it (their own held posts), so members with the same communities share a shape.
VisibilityShape = tuple[bool, bool, frozenset[int]]


def visibility_shape(viewer: Viewer) -> VisibilityShape:
    """The viewer's facts that shape the visibility rule's SQL, for prepared queries
    (``spoonful.prepared``), which compile it once per shape; ``visibility_member`` is
    the value that goes with it."""
    context = access_for(viewer)
    if not context.is_member:
        return False, False, frozenset()
    return True, context.is_staff, context.active


def visibility_member(viewer: Viewer) -> int:
    """The member's id for a prepared query's ``member_id`` value; 0 (no member's) signed out."""
    context = access_for(viewer)
    return context.user_id if context.is_member else 0


def discussion_list_visible_in(shape: VisibilityShape, member_id: int) -> QuerySet[Discussion]:
    """``discussion_list_visible_to`` for a ``visibility_shape`` and ``visibility_member``."""
    is_member, is_staff, active = shape
    return _visible_discussions(member_id if is_member else None, is_staff, active).all()


def reply_list_readable_in(shape: VisibilityShape, member_id: int) -> QuerySet[Reply]:
    """``reply_list_readable_by`` for a ``visibility_shape`` and ``visibility_member``."""
    is_member, is_staff, active = shape
    return _readable_replies(member_id if is_member else None, is_staff, active).all()


def _rule_facts(viewer: Viewer) -> tuple[int | None, bool, frozenset[int]]:
    is_member, is_staff, active = visibility_shape(viewer)
    return (visibility_member(viewer) if is_member else None), is_staff, active


def discussion_list_visible_to(viewer: Viewer) -> QuerySet[Discussion]:
    """Discussions the viewer may read, on every surface.

    - Only published discussions, except that authors also see their own held ones.
    - Signed-out visitors (and deactivated accounts): public only.
    - Members: public and members-only; community-only when they are an active member
      of at least one of its communities.
    - A discussion in a private community: only that community's active members.
    - Staff moderate everywhere and see every published discussion.

    Writing a discussion gives no right to read it. An author reads their own
    discussion, published or held, only where the rules above would let them read
    it if it were anyone's: removed from or banned by its private community, gone
    from the community a community-only discussion is for, or moved by staff into
    a private community they are not in, they lose its page, its replies, search,
    feeds, live updates and replying, like any other outsider. What they wrote
    stays theirs through their data export (and account deletion still reaches it).
    """
    return _visible_discussions(*_rule_facts(viewer)).all()


# Per member (their own held posts are in the rule): enough for the requests a process serves
# at once, each asking the rule several times. Prepared queries keep theirs per shape.
@lru_cache(maxsize=64)
def _visible_discussions(member_id: int | None, is_staff: bool, active: frozenset[int]) -> QuerySet[Discussion]:
    """The rule for one shape of access context, built once per process: building its
    filters costs more than running the query, and every page asks several times.
    Callers get a copy (``.all()``); this one is never evaluated."""
    discussions = Discussion.objects.all()
    in_private_community = _tagged_into(policy=Community.Policy.PRIVATE)

    if member_id is None:
        return discussions.filter(
            Q(status=Discussion.Status.PUBLISHED) & Q(visibility=Visibility.PUBLIC) & ~in_private_community
        )

    my_held = Q(author_id=member_id, status__in=OWN_PENDING_STATES)
    if is_staff:
        return discussions.filter(Q(status=Discussion.Status.PUBLISHED) | my_held)

    # The communities they are an active member of, from their access context.
    mine = sorted(active)
    in_my_community = _tagged_into(pk__in=mine)
    in_my_private_community = _tagged_into(policy=Community.Policy.PRIVATE, pk__in=mine)
    readable_by_members = (
        Q(visibility=Visibility.PUBLIC)
        | Q(visibility=Visibility.MEMBERS)
        | (Q(visibility=Visibility.COMMUNITY) & in_my_community)
    )
    private_community_allows = ~in_private_community | in_my_private_community
    published_or_my_held = Q(status=Discussion.Status.PUBLISHED) | my_held
    return discussions.filter(published_or_my_held & readable_by_members & private_community_allows)


def discussion_tags_known_to(viewer: Viewer) -> Prefetch:
    """For lists: prefetch each discussion's hashtags the viewer may know of (the rule
    of the discussion page, ``tag_known_to``) into ``known_tagged_items``, by name."""
    known = DiscussionTag.objects.filter(tag__in=Tag.objects.filter(tag_known_to(viewer)))
    return Prefetch(
        "tagged_items",
        queryset=known.select_related("tag").order_by("tag__name"),
        to_attr="known_tagged_items",
    )


def _seen_as(viewer: Viewer) -> tuple:
    """Who a discussion was found visible to: the same viewer with the same access facts."""
    context = access_for(viewer)
    version = viewer.access_version if context.user_id is not None else None
    return (context.user_id, version, context.is_active, context.is_staff)


def _found_visible(viewer: Viewer, discussion: Discussion) -> Discussion:
    # Later checks in the same request (reply_refusal) need not ask the database again.
    discussion.found_visible_as = _seen_as(viewer)
    return discussion


def discussion_get_visible_or_404(viewer: Viewer, pk: int) -> Discussion:
    return _found_visible(viewer, get_object_or_404(discussion_list_visible_to(viewer), pk=pk))


def discussion_page_get_or_404(viewer: Viewer, pk: int) -> Discussion:
    """``discussion_get_visible_or_404`` with what the discussion page shows beside it, in
    the same query: its author, and ``verified_replied`` (``verified_reply_exists``).
    Prepared (``spoonful.prepared``): the most requested query of the site."""
    found = _discussion_for_page(
        visibility_shape(viewer), member_id=visibility_member(viewer), pk=pk, now=timezone.now()
    )
    if not found:
        raise Http404("No discussion matches the given query.")
    return _found_visible(viewer, found[0])


_discussion_for_page = PreparedQuery(
    lambda *shape, member_id, pk, now: (
        discussion_list_visible_in(shape, member_id)
        .select_related("author")
        .annotate(verified_replied=verified_reply_exists(now=now))
        .filter(pk=pk)
    ),
    integers=("member_id", "pk"),
    times=("now",),
    optional=("member_id",),
)


def discussion_for_socket(viewer: Viewer, pk: int) -> Discussion | None:
    """The discussion a socket is opened on, if the viewer may read it, with only what the
    hello says (a long discussion's body is not read for every socket). Prepared
    (``spoonful.prepared``): a restart reopens every socket at once."""
    found = _discussion_for_socket(visibility_shape(viewer), member_id=visibility_member(viewer), pk=pk)
    return found[0] if found else None


_discussion_for_socket = PreparedQuery(
    lambda *shape, member_id, pk: (
        discussion_list_visible_in(shape, member_id).filter(pk=pk).only("is_locked", "last_reply_number")
    ),
    integers=("member_id", "pk"),
    optional=("member_id",),
)


def discussion_tag_list(discussion: Discussion) -> list[Tag]:
    """The discussion's hashtags by name, each with its community (or None), read once
    per Discussion object: the page's checks and its hashtag links share them."""
    if "tag_rows" not in discussion.__dict__:
        tags = Tag.objects.filter(pk__in=DiscussionTag.objects.filter(content_object=discussion).values("tag_id"))
        discussion.tag_rows = list(tags.select_related("community").order_by("name"))
    return discussion.tag_rows


def discussion_communities(discussion: Discussion) -> list[Community]:
    """The communities a discussion is tagged into, from ``discussion_tag_list`` (read once per object)."""
    return [tag.community for tag in discussion_tag_list(discussion) if getattr(tag, "community", None) is not None]


def discussion_get_own_or_404(viewer: Viewer, pk: int) -> Discussion:
    """The viewer's own discussion, while they may still read it (see above)."""
    discussion = discussion_get_visible_or_404(viewer, pk)
    if discussion.author_id != viewer.pk:
        raise Http404
    return discussion


def can_see_discussion(viewer: Viewer, discussion: Discussion) -> bool:
    if getattr(discussion, "found_visible_as", None) == _seen_as(viewer):
        return True
    return discussion_list_visible_to(viewer).filter(pk=discussion.pk).exists()


def _reply_states_shown_to(member_id: int | None) -> Q:
    readable = Q(status__in=READABLE_REPLY_STATES)
    if member_id is not None:
        readable |= Q(author_id=member_id, status__in=(Reply.Status.HELD, Reply.Status.HIDDEN))
    return readable


def reply_list_readable_by(viewer: Viewer) -> QuerySet[Reply]:
    """Replies the viewer may read, across discussions: the one reply rule.

    A reply is readable where its discussion is (``discussion_list_visible_to``) and
    in a state shown to the viewer: published; removed and deleted ones stay as
    tombstones, whose text is never shown; held and hidden ones to their author only.
    A surface that shows reply text away from the thread (search, profiles,
    notifications) keeps to ``Reply.Status.PUBLISHED`` as well.
    """
    return _readable_replies(*_rule_facts(viewer)).all()


@lru_cache(maxsize=64)
def _readable_replies(member_id: int | None, is_staff: bool, active: frozenset[int]) -> QuerySet[Reply]:
    """``reply_list_readable_by`` for one shape, built once per process (as ``_visible_discussions``)."""
    visible = Q(discussion__in=_visible_discussions(member_id, is_staff, active).values("pk"))
    return Reply.objects.filter(visible & _reply_states_shown_to(member_id))


def reply_list_visible_to(viewer: Viewer, discussion: Discussion) -> QuerySet[Reply]:
    """The replies of one discussion the viewer may read (``reply_list_readable_by``):
    the thread, with tombstones, as the page, catch-up and live updates show it."""
    if getattr(discussion, "found_visible_as", None) == _seen_as(viewer):
        # Found visible to these same access facts in this request: only the reply's state is left to ask.
        return Reply.objects.filter(_reply_states_shown_to(_rule_facts(viewer)[0]), discussion=discussion)
    return reply_list_readable_by(viewer).filter(discussion=discussion)


def attachment_get_readable_or_404(viewer: Viewer, discussion_pk: int, attachment_id: int) -> Attachment:
    """An attachment the viewer may fetch: one whose post they may read with its text
    shown (not a tombstone), or one on a post they moderate (held and hidden ones
    included, for review). A removed attachment, or an id under another discussion,
    is missing; forbidden looks the same.
    """
    attachment = (
        Attachment.objects.select_related("discussion", "reply")
        .filter(pk=attachment_id, discussion_id=discussion_pk, removed_at__isnull=True)
        .exclude(file="")
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment.")
    post = attachment.reply or attachment.discussion
    readable = discussion_list_visible_to(viewer).filter(pk=discussion_pk).exists() and (
        attachment.reply_id is None
        or reply_list_visible_to(viewer, attachment.discussion).filter(pk=attachment.reply_id).exists()
    )
    if readable and not post.is_tombstone:
        return attachment
    if can_moderate_post(viewer, post):
        return attachment
    raise Http404("No such attachment.")


def attachment_list_of_discussion(discussion: Discussion) -> list[Attachment]:
    """The attachments of a discussion's opening post, removed ones included (they
    show as a tombstone). The caller shows them only with a post it may show."""
    return list(Attachment.objects.filter(discussion=discussion, reply__isnull=True).order_by("position", "pk"))


def attachment_list_of_post(post: Discussion | Reply) -> list[Attachment]:
    """The attachments of one post (a discussion's own, not its replies'), as above."""
    if isinstance(post, Reply):
        return attachments_of_replies([post]).get(post.pk, [])
    return attachment_list_of_discussion(post)


def attachments_of_replies(replies: list[Reply]) -> dict[int, list[Attachment]]:
    """The attachments of these replies by reply id, removed ones included; as above."""
    grouped: dict[int, list[Attachment]] = {}
    rows = Attachment.objects.filter(reply_id__in=[reply.pk for reply in replies]).order_by("position", "pk")
    for attachment in rows:
        grouped.setdefault(attachment.reply_id, []).append(attachment)
    return grouped


def can_see_author(viewer: Viewer, post: Discussion | Reply) -> bool:
    """Whether the viewer may know who wrote a post. Anonymous posts name their
    author to the author alone; moderators reveal through an audited action.
    ``discussions.presenters.author_label`` words it for every surface."""
    if not post.is_anonymous:
        return True
    return is_signed_in_member(viewer) and post.author_id == viewer.pk


def is_blocked_by_author(viewer: Viewer, discussion: Discussion) -> bool:
    """Whether the discussion's author blocked the viewer.

    Not applied to anonymous discussions: a refusal there would tell the blocked
    member that the anonymous author is someone who blocked them (a de-anonymising
    clue). The blocker still never hears from them (notifications skip blocked
    authors) and sees their posts collapsed.
    """
    if discussion.is_anonymous or discussion.author_id is None:
        return False
    return discussion.author_id in access_for(viewer).blocked_me


REPLY_REFUSED = "You can't reply to this discussion, but you can still read it."


def reply_refusal(viewer: Viewer, discussion: Discussion) -> str | None:
    """Why the viewer may not reply to this discussion now, in plain kind words (with
    until when, where a sanction ends), or None when they may. The one source of that
    text: the discussion page shows it and ``reply_create`` refuses with it.

    A block by the author gets the general sentence on purpose: naming it would
    invite the blocked member to look for another way to reach the blocker.
    """
    if not is_signed_in_member(viewer):
        return "Sign in to reply."
    if not can_see_discussion(viewer, discussion):
        return REPLY_REFUSED
    if discussion.status == Discussion.Status.HELD:
        return (
            "Your discussion is waiting for a moderator to look at it. It is saved, and only you can see it "
            "until then. Replies open once it is approved."
        )
    if not discussion.is_published:
        return "This discussion is no longer open, so it takes no new replies."
    if discussion.is_locked:
        return "This discussion is locked: moderators closed it to new replies, but you can still read it."
    restriction = posting_refusal(viewer, discussion_communities(discussion))
    if restriction is not None:
        return restriction
    if is_blocked_by_author(viewer, discussion):
        return REPLY_REFUSED
    return None


def can_reply(viewer: Viewer, discussion: Discussion) -> bool:
    """Signed-in members who can see an open, published discussion may reply, unless
    they are suspended, muted or banned where it sits, or its author blocked them."""
    return reply_refusal(viewer, discussion) is None


def is_restricted_from_posting(viewer: Viewer, discussion: Discussion) -> bool:
    """Suspended site-wide, or muted or banned in one of the discussion's communities."""
    return posting_refusal(viewer, discussion_communities(discussion)) is not None


def can_moderate(viewer: Viewer, discussion: Discussion) -> bool:
    """Staff, or an active moderator of one of the discussion's communities."""
    return can_moderate_post(viewer, discussion)


# --- What a profile page lists ----------------------------------------------------------


def profile_discussions_visible_to(member: User, viewer: Viewer) -> QuerySet[Discussion]:
    """The member's discussions the viewer may read, never the anonymous ones (so
    neither the list nor its count changes when they post anonymously)."""
    return discussion_list_visible_to(viewer).filter(author=member, is_anonymous=False).order_by("-created_at", "-pk")


def profile_replies_visible_to(member: User, viewer: Viewer) -> QuerySet[Reply]:
    """The member's published, non-anonymous replies that the viewer may read."""
    return (
        reply_list_readable_by(viewer)
        .filter(author=member, is_anonymous=False, status=Reply.Status.PUBLISHED)
        .select_related("discussion")
        .order_by("-created_at", "-pk")
    )


# --- Audiences ------------------------------------------------------------------------

# Most open first.
VISIBILITY_ORDER = [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.COMMUNITY]


def is_wider(visibility: str, than: str) -> bool:
    """Whether ``visibility`` lets more people read than ``than`` does."""
    return VISIBILITY_ORDER.index(visibility) < VISIBILITY_ORDER.index(than)


def audience_description(discussion: Discussion, visibility: str) -> str:
    """Who could read the discussion at ``visibility``, in plain words: what an author
    confirms before letting more people read it. The short labels stay the model's."""
    if visibility == Visibility.PUBLIC:
        return (
            "Anyone on the internet, including search engines: no account is needed, "
            "and it can show up in web search results."
        )
    if visibility == Visibility.MEMBERS:
        if settings.SIGNUP_OPEN:
            return "Anyone signed in to Spoonful, and anyone can sign up, so this is close to public."
        return "Anyone with a Spoonful account, in any community."
    slugs = [f"#{slug}" for slug in communities_of(discussion).order_by("slug").values_list("slug", flat=True)]
    return f"Only members of {' and '.join(slugs) if slugs else 'its communities'}."


def reply_count_by_others(discussion: Discussion) -> int:
    """Published replies written by someone other than the discussion's author: words
    written for the audience the discussion had when they were posted."""
    replies = Reply.objects.filter(discussion=discussion, status=Reply.Status.PUBLISHED)
    if discussion.author_id is not None:
        replies = replies.exclude(author_id=discussion.author_id)
    return replies.count()


# --- Edit history ---------------------------------------------------------------------


def revision_list_of(post: Discussion | Reply) -> list[Revision]:
    """Every earlier version of a post, oldest first, each with its ``number`` (1 is the
    oldest). Purged versions keep their place, so numbers never shift. The caller has
    checked the viewer is the post's author (or moderates it)."""
    lookup = {"reply": post} if isinstance(post, Reply) else {"discussion": post}
    revisions = list(Revision.objects.filter(**lookup).order_by("created_at", "pk"))
    for number, revision in enumerate(revisions, start=1):
        revision.number = number
    return revisions


def community_slugs_named(viewer: Viewer, typed: list[str], *, text: str = "", limit: int = 5) -> list[str]:
    """The canonical hashtags of the communities a post being written names (in the
    hashtag field, then in its text), as the writer may know of them. For saying who
    will read it ("Only members of #mecfs"); the posting service decides placement."""
    slugs: list[str] = []
    for name in [*typed, *hashtags_in_text(text)]:
        community = community_resolve(name, viewer=viewer)
        if community is not None and community.slug not in slugs:
            slugs.append(community.slug)
        if len(slugs) >= limit:
            break
    return slugs


# --- Reactions -------------------------------------------------------------------------

REACTION_OWN_POST = "Reactions are for other members' posts."
REACTION_CLOSED_POST = "This post takes no reactions."
REACTION_REFUSED = "You can't react to this discussion, but you can still read it."


def reaction_refusal(viewer: Viewer, discussion: Discussion, reply: Reply | None = None) -> str | None:
    """Why the viewer may not add a reaction to the discussion (or one of its replies), or
    None when they may. Whoever may reply may react (``reply_refusal``: signed in, able to
    read it, open and published, not muted, banned or suspended there, not blocked by its
    author), on a published post that is not their own: thanking oneself would only
    move one's own post up "most thanked first". Taking a reaction back needs only that
    the viewer can still read the post (``discussions.reactions.reaction_toggle``)."""
    refusal = reply_refusal(viewer, discussion)
    if refusal == REPLY_REFUSED:
        return REACTION_REFUSED  # the same general words, about reacting
    if refusal is not None:
        return refusal
    post = reply if reply is not None else discussion
    if not post.is_published:
        return REACTION_CLOSED_POST
    if post.author_id == viewer.pk:
        return REACTION_OWN_POST
    return None


def _reactions_shown_to(viewer: Viewer) -> QuerySet[Reaction]:
    """Reactions, less those of members the viewer blocked: a blocker never sees a
    blocked member's reactions, in a count, a list or an order."""
    return _reactions_less_blocked(_blocked_by(viewer))


def _blocked_by(viewer: Viewer) -> tuple[int, ...]:
    context = access_for(viewer)
    return tuple(sorted(context.blocked_by_me)) if context.is_member else ()


def _reactions_less_blocked(blocked: tuple[int, ...]) -> QuerySet[Reaction]:
    reactions = Reaction.objects.all()
    return reactions.exclude(user_id__in=blocked) if blocked else reactions


def reaction_counts_for(viewer: Viewer, discussion: Discussion, replies: list[Reply]) -> dict[int | None, dict]:
    """How many members reacted with each kind to the discussion (key None) and to each of
    ``replies`` (key: reply number), as the viewer may know it, and which kinds are the
    viewer's own: ``{number: {"counts": {kind: n}, "mine": {kind, ...}}}``. One query for
    the whole page, prepared (``spoonful.prepared``). The caller has checked the viewer may
    read the discussion and passes only replies it shows them."""
    numbers = {reply.pk: reply.number for reply in replies}
    rows = _reaction_counts(
        (_blocked_by(viewer),),
        reader_id=visibility_member(viewer),
        discussion_id=discussion.pk,
        reply_ids=list(numbers),
    )
    found: dict[int | None, dict] = {}
    for row in rows:
        number = numbers.get(row["reply_id"]) if row["reply_id"] is not None else None
        entry = found.setdefault(number, {"counts": {}, "mine": set()})
        entry["counts"][row["kind"]] = row["count"]
        if row["mine"]:
            entry["mine"].add(row["kind"])
    return found


_reaction_counts = PreparedQuery(
    lambda blocked, *, reader_id, discussion_id, reply_ids: (
        _reactions_less_blocked(blocked)
        .filter(Q(discussion_id=discussion_id) | Q(reply_id__in=reply_ids))
        .values("reply_id", "kind")
        .annotate(count=Count("pk"), mine=Count("pk", filter=Q(user_id=reader_id)))
    ),
    integers=("reader_id", "discussion_id"),
    id_list="reply_ids",
)


def reply_list_most_thanked(viewer: Viewer, discussion: Discussion) -> QuerySet[Reply]:
    """The published replies of a discussion the viewer may read, the most "thank you"s
    first (as the viewer may count them: not those of members they blocked), ties and
    unthanked replies in conversation order. Only when the reader asks for it."""
    thanks = (
        _reactions_shown_to(viewer)
        .filter(reply=OuterRef("pk"), kind=Reaction.Kind.THANK_YOU)
        .values("reply")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        reply_list_visible_to(viewer, discussion)
        .filter(status=Reply.Status.PUBLISHED)
        .annotate(thanks=Coalesce(Subquery(thanks, output_field=IntegerField()), 0))
        .order_by("-thanks", "path")
    )


def reaction_post_get_visible_or_404(viewer: Viewer, discussion: Discussion, number: int | None) -> Reply | None:
    """The reply numbered ``number`` of a discussion the viewer may read (None for the
    discussion itself), if the viewer may read it: 404 otherwise, as for a missing one."""
    if number is None:
        return None
    return get_object_or_404(reply_list_visible_to(viewer, discussion), number=number)


def reaction_list_visible_to(viewer: Viewer, discussion: Discussion, reply: Reply | None) -> QuerySet[Reaction]:
    """Who reacted to a post, for a signed-in viewer who may read it (the caller checked,
    ``reaction_post_get_visible_or_404``), less the members they blocked; oldest first."""
    post = {"reply": reply} if reply is not None else {"discussion": discussion}
    return _reactions_shown_to(viewer).filter(**post).select_related("user").order_by("created_at", "pk")


def reaction_list_for_export(user: User) -> QuerySet[Reaction]:
    return Reaction.objects.filter(user=user).select_related("reply").order_by("pk")
