"""Writes for discussions and replies: validate, save in one transaction, announce after commit.

Every service takes the acting member and checks what that member may do with
the visibility predicates in ``discussions.selectors``; views stay thin and a
second caller (the API, a management command) cannot skip a rule.
"""

from dataclasses import dataclass
from functools import partial

from allauth.account.models import EmailAddress
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.selectors import is_site_staff
from community.hashtags import InvalidHashtag, hashtags_in_text, normalise_hashtag
from community.models import Community, Membership
from community.selectors import community_resolve
from discussions import events
from discussions.markdown import (
    MAX_TITLE_LENGTH,
    markdown_problem,
    render_markdown,
    strip_control_characters,
)
from discussions.models import AuthorAction, Discussion, Reply, Revision, Visibility
from discussions.search import search_index_update
from discussions.selectors import can_moderate, can_see_discussion, is_wider, reply_list_visible_to, reply_refusal
from moderation.screening import screen_post, screening_record
from moderation.selectors import communities_of, posting_refusal
from moderation.services import discussion_narrow_visibility
from notifications.services import notify_discussion_created, notify_reply_created

MAX_HASHTAGS = 5
# Reply numbers are zero-padded to this many digits in ``Reply.path``.
NUMBER_DIGITS = 6
MAX_REPLY_NUMBER = 10**NUMBER_DIGITS - 1
# ``Reply.path`` holds 255 characters: 36 levels of "000123.". Deeper answers
# keep their real parent (for the "replying to" link) but sort at this depth.
MAX_PATH_DEPTH = 30
CONTENT_WARNING_MAX_LENGTH = 80

UNVERIFIED_MESSAGE = "Please confirm your email address before you post."
VISIBILITY_CHOICE_MESSAGE = "Choose who can read this: anyone, anyone signed in, or only members of its communities."
ANONYMOUS_WITH_BADGE_MESSAGE = (
    "An anonymous post cannot carry your professional badge: the badge says who you are. "
    "Untick one of the two, then post again. Nothing you typed is lost."
)


# --- Shared checks -------------------------------------------------------------


def _clean_text(value: str) -> str:
    return strip_control_characters(value or "").strip()


def _checked_body(body: str, field: str = "body") -> str:
    body = _clean_text(body)
    if not body:
        raise ValidationError({field: "Please write something first."})
    problem = markdown_problem(body)
    if problem:
        raise ValidationError({field: problem})
    return body


def _checked_title(title: str) -> str:
    title = " ".join(_clean_text(title).split())
    if not title:
        raise ValidationError({"title": "Please give your discussion a title."})
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError({"title": f"Please keep the title under {MAX_TITLE_LENGTH} characters."})
    return title


def _checked_content_warning(content_warning: str) -> str:
    content_warning = " ".join(_clean_text(content_warning).split())
    if len(content_warning) > CONTENT_WARNING_MAX_LENGTH:
        raise ValidationError(
            {"content_warning": f"Please keep the content warning under {CONTENT_WARNING_MAX_LENGTH} characters."}
        )
    return content_warning


def has_verified_email(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def _require_active_verified(user: User) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied("Please sign in to post.")
    if not has_verified_email(user):
        raise PermissionDenied(UNVERIFIED_MESSAGE)


def _check_badge_choice(*, as_professional: bool, is_anonymous: bool) -> None:
    # Dropping the badge without a word would post as something the member did not
    # choose; they decide which of the two they meant.
    if as_professional and is_anonymous:
        raise ValidationError({NON_FIELD_ERRORS: ANONYMOUS_WITH_BADGE_MESSAGE})


def _may_use_badge(author: User, as_professional: bool) -> bool:
    """Whether to record that the post carries the badge. The badge itself is
    shown only while a verification is active (decided at read time)."""
    if not as_professional:
        return False
    from accounts.selectors import can_act_as_professional

    return can_act_as_professional(author)


# --- Discussions ---------------------------------------------------------------


@dataclass(frozen=True)
class _Placement:
    communities: list[Community]
    visibility: str


def _resolve_communities(*, author: User, typed: list[str], title: str, body: str) -> list[Community]:
    """Communities named in the hashtag field (all must exist) plus those typed in
    the title or body (only the ones that resolve; the rest stay plain text)."""
    unknown: list[str] = []
    invalid: list[str] = []
    communities: dict[int, Community] = {}
    for raw in typed:
        try:
            name = normalise_hashtag(raw)
        except InvalidHashtag as error:
            invalid.append(str(error))
            continue
        community = community_resolve(name, viewer=author)
        if community is None:
            unknown.append(f"#{name}")
        else:
            communities.setdefault(community.pk, community)
    if invalid:
        raise ValidationError({"hashtags": invalid})
    if unknown:
        message = (
            "There is no community for "
            + ", ".join(dict.fromkeys(unknown))
            + ". Check the spelling, or choose a hashtag from the suggestions."
        )
        if author.is_staff:
            message += f" As staff, you can create it first at /c/new/?hashtag={unknown[0].lstrip('#')}"
        raise ValidationError({"hashtags": message})
    for name in dict.fromkeys(hashtags_in_text(f"{title}\n{body}")):
        community = community_resolve(name, viewer=author)
        if community is not None:
            communities.setdefault(community.pk, community)
    found = list(communities.values())
    if not found:
        raise ValidationError({"hashtags": "Please add at least one community hashtag, such as #mecfs."})
    if len(found) > MAX_HASHTAGS:
        raise ValidationError({"hashtags": f"A discussion can sit in at most {MAX_HASHTAGS} communities."})
    return found


def _community_only_refusal(*, member: User, communities: list[Community]) -> str | None:
    """Why ``member`` could not read a community-only discussion in these communities
    (they are active in none of them), or None when they could.

    Writing a discussion gives no way in (``discussion_list_visible_to``), so a member
    is not let to make one that they themselves could not open.
    """
    if is_site_staff(member):
        return None
    if Membership.objects.filter(user=member, community__in=communities, status=Membership.Status.ACTIVE).exists():
        return None
    listed = " or ".join(f"#{community.slug}" for community in communities)
    joined = listed if len(communities) == 1 else "any of them"
    return (
        f"Only members of {listed} could read this, and you have not joined {joined}, so you could not "
        "read it yourself. Join first, or choose who can read it."
    )


def _place(*, author: User, communities: list[Community], visibility: str) -> _Placement:
    """Check the author may post in each community, and settle the audience."""
    memberships = {
        membership.community_id: membership
        for membership in Membership.objects.filter(user=author, community__in=communities)
    }
    refused: list[str] = []
    for community in communities:
        membership = memberships.get(community.pk)
        if membership is not None and membership.is_banned:
            refused.append(f"You cannot post in #{community.slug}: you have been banned from it.")
            continue
        gated = community.policy != Community.Policy.OPEN or community.professionals_only
        if gated and not author.is_staff and not (membership is not None and membership.is_active):
            refused.append(f"Only members of #{community.slug} can post there. Join it first.")
    if refused:
        raise ValidationError({"hashtags": refused})

    private = [community for community in communities if community.is_private]
    if private:
        if len(communities) > 1:
            raise ValidationError(
                {
                    "hashtags": f"#{private[0].slug} is a private community: a discussion there "
                    "cannot also be in other communities."
                }
            )
        # Private communities are read by their members only, whatever was chosen.
        visibility = Visibility.COMMUNITY
    if visibility == Visibility.COMMUNITY:
        refusal = _community_only_refusal(member=author, communities=communities)
        if refusal:
            raise ValidationError({"visibility": refusal})
    return _Placement(communities=communities, visibility=visibility)


def _existing_discussion(author: User, submission_token: str) -> Discussion | None:
    if not submission_token:
        return None
    return Discussion.objects.filter(author=author, submission_token=submission_token).first()


def discussion_create(
    *,
    author: User,
    title: str,
    body: str,
    hashtags: list[str],
    visibility: str,
    is_anonymous: bool = False,
    content_warning: str = "",
    as_professional: bool = False,
    submission_token: str = "",
) -> Discussion:
    """Start a discussion in one to five communities.

    The same author and ``submission_token`` twice (a double click, a resent form)
    returns the first discussion instead of creating another.
    """
    _require_active_verified(author)
    submission_token = (submission_token or "")[:64]
    existing = _existing_discussion(author, submission_token)
    if existing is not None:
        return existing
    _check_badge_choice(as_professional=as_professional, is_anonymous=is_anonymous)

    errors: dict[str, list] = {}
    checks = {
        "title": lambda: _checked_title(title),
        "body": lambda: _checked_body(body),
        "content_warning": lambda: _checked_content_warning(content_warning),
    }
    cleaned: dict[str, str] = {}
    for field, check in checks.items():
        try:
            cleaned[field] = check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if visibility not in Visibility.values:
        errors["visibility"] = [VISIBILITY_CHOICE_MESSAGE]
    if errors:
        raise ValidationError(errors)
    communities = _resolve_communities(
        author=author, typed=list(hashtags), title=cleaned["title"], body=cleaned["body"]
    )
    placement = _place(author=author, communities=communities, visibility=visibility)
    refusal = posting_refusal(author, placement.communities)
    if refusal:
        raise PermissionDenied(refusal)
    screening = screen_post(
        author=author, communities=placement.communities, title=cleaned["title"], body=cleaned["body"]
    )
    if screening.refused:
        raise ValidationError({"body": screening.refusal_message})

    try:
        with transaction.atomic():
            discussion = Discussion.objects.create(
                status=Discussion.Status.HELD if screening.hold else Discussion.Status.PUBLISHED,
                author=author,
                title=cleaned["title"],
                body=cleaned["body"],
                body_html=render_markdown(cleaned["body"]),
                is_anonymous=is_anonymous,
                as_professional=_may_use_badge(author, as_professional),
                content_warning=cleaned["content_warning"],
                visibility=placement.visibility,
                last_activity_at=timezone.now(),
                submission_token=submission_token,
            )
            discussion.tags.add(*[community.tag for community in placement.communities])
            screening_record(post=discussion, screening=screening)
            transaction.on_commit(partial(search_index_update, discussion.pk), robust=True)
            if discussion.is_published:
                transaction.on_commit(partial(notify_discussion_created, discussion.pk), robust=True)
    except IntegrityError:
        # The same form submitted twice at once: the other request won.
        existing = _existing_discussion(author, submission_token)
        if existing is None:
            raise
        return existing
    discussion.screening = screening
    return discussion


def _require_author(acting_user: User, post: Discussion | Reply) -> None:
    if not (acting_user.is_authenticated and post.author_id == acting_user.pk):
        raise PermissionDenied("Only the author can do that.")


def discussion_edit(
    *, acting_user: User, discussion: Discussion, title: str, body: str, content_warning: str | None = None
) -> Discussion:
    """The author rewrites the title or body; the previous text is kept as a Revision."""
    _require_author(acting_user, discussion)
    if discussion.is_tombstone:
        raise PermissionDenied("A deleted or removed discussion cannot be edited.")
    errors: dict[str, list] = {}
    cleaned: dict[str, str] = {}
    checks = {"title": lambda: _checked_title(title), "body": lambda: _checked_body(body)}
    if content_warning is not None:
        checks["content_warning"] = lambda: _checked_content_warning(content_warning)
    for field, check in checks.items():
        try:
            cleaned[field] = check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    unchanged = cleaned["title"] == discussion.title and cleaned["body"] == discussion.body
    if unchanged and cleaned.get("content_warning", discussion.content_warning) == discussion.content_warning:
        return discussion
    with transaction.atomic():
        Revision.objects.create(
            discussion=discussion, title=discussion.title, body=discussion.body, edited_by=acting_user
        )
        discussion.title = cleaned["title"]
        discussion.body = cleaned["body"]
        discussion.body_html = render_markdown(cleaned["body"])
        if "content_warning" in cleaned:
            discussion.content_warning = cleaned["content_warning"]
        discussion.edited_at = timezone.now()
        discussion.save(update_fields=["title", "body", "body_html", "content_warning", "edited_at"])
        events.discussion_changed(discussion_id=discussion.pk)
        transaction.on_commit(partial(search_index_update, discussion.pk), robust=True)
    return discussion


def discussion_delete_by_author(*, acting_user: User, discussion: Discussion) -> Discussion:
    """The author takes the discussion down; replies stay in the database but are no
    longer reachable, because nobody can see the discussion any more."""
    _require_author(acting_user, discussion)
    if discussion.status == Discussion.Status.DELETED:
        return discussion
    if discussion.status == Discussion.Status.REMOVED:
        raise PermissionDenied("Moderators already removed this discussion.")
    with transaction.atomic():
        discussion.status = Discussion.Status.DELETED
        discussion.save(update_fields=["status"])
        events.discussion_changed(discussion_id=discussion.pk)
        transaction.on_commit(partial(search_index_update, discussion.pk), robust=True)
    return discussion


def _require_moderator(acting_user: User, discussion: Discussion) -> None:
    if not can_moderate(acting_user, discussion):
        raise PermissionDenied("Only moderators of its communities can do that.")


class AudienceConfirmationRequired(Exception):
    """The author asked for more people to read their discussion: they must first be
    shown, in plain words, who that is (``selectors.audience_description``), and
    ask again with ``confirmed=True``. Nothing has changed."""

    def __init__(self, visibility: str) -> None:
        super().__init__(visibility)
        self.visibility = visibility


def discussion_set_visibility(
    *, acting_user: User, discussion: Discussion, visibility: str, confirmed: bool = False, reason: str = ""
) -> Discussion:
    """Change who can read a discussion.

    The author narrows at once, and widens only with ``confirmed`` (otherwise
    ``AudienceConfirmationRequired``): a post written for a few is never opened
    up by anyone else, nor by a slip. Each change by the author is kept as an
    ``AuthorAction``. Moderators and staff only narrow, through
    ``moderation.services.discussion_narrow_visibility`` (two-factor, audited,
    the author told; ``reason`` goes with it). Discussions in a private
    community stay community-only.
    """
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": VISIBILITY_CHOICE_MESSAGE})
    is_author = acting_user.is_authenticated and discussion.author_id == acting_user.pk
    if not is_author:
        if not can_moderate(acting_user, discussion):
            raise PermissionDenied("Only the author or a moderator can change who sees this.")
        discussion_narrow_visibility(
            acting_user=acting_user, discussion=discussion, visibility=visibility, reason=reason
        )
        return discussion
    in_private = discussion.tags.filter(community__policy=Community.Policy.PRIVATE).exists()
    if in_private and visibility != Visibility.COMMUNITY:
        raise ValidationError({"visibility": "Discussions in a private community are for its members only."})
    if visibility == Visibility.COMMUNITY:
        # Moderators and staff always keep reading; an author must not narrow themselves out.
        refusal = _community_only_refusal(member=acting_user, communities=list(communities_of(discussion)))
        if refusal:
            raise ValidationError({"visibility": refusal})
    with transaction.atomic():
        # Locked and re-read: whether this widens is decided against the audience
        # as it is now, not as the page showed it (a moderator may have narrowed it).
        locked = Discussion.objects.select_for_update().get(pk=discussion.pk)
        if visibility == locked.visibility:
            discussion.visibility = visibility
            return discussion
        if is_wider(visibility, locked.visibility) and not confirmed:
            raise AudienceConfirmationRequired(visibility)
        before = locked.visibility
        locked.visibility = visibility
        locked.save(update_fields=["visibility"])
        AuthorAction.objects.create(
            actor=acting_user,
            kind=AuthorAction.Kind.VISIBILITY,
            discussion=locked,
            before={"visibility": before},
            after={"visibility": visibility},
        )
        events.discussion_changed(discussion_id=locked.pk)
        transaction.on_commit(partial(search_index_update, locked.pk), robust=True)
    discussion.visibility = visibility
    return discussion


def revision_purge(*, acting_user: User, post: Discussion | Reply, number: int) -> Revision:
    """The author removes, for good, the text of version ``number`` (1 is the oldest)
    of their own discussion or reply.

    The row stays, blank and marked purged, so later versions keep their numbers.
    An ``AuthorAction`` records which version went, never its text. Moderation
    keeps what it keeps: a redaction's original stays in its moderation log entry
    until that entry's retention ends, and a post moderators removed, or one with a
    report still open, keeps its history for their review and any appeal.
    """
    _require_author(acting_user, post)
    if post.status == Discussion.Status.REMOVED:
        raise PermissionDenied("Moderators removed this post, so its history is kept while they review it.")
    if post.flags.filter(status=post.flags.model.Status.OPEN).exists():
        # A report may be about what an earlier version said; the evidence stays until
        # a moderator has looked.
        raise PermissionDenied(
            "This post has been reported, so its earlier versions are kept until a moderator has reviewed it."
        )
    lookup = {"reply": post} if isinstance(post, Reply) else {"discussion": post}
    with transaction.atomic():
        revisions = list(Revision.objects.select_for_update().filter(**lookup).order_by("created_at", "pk"))
        if not 1 <= number <= len(revisions):
            raise ValidationError(f"There is no version {number} of this post.")
        revision = revisions[number - 1]
        if revision.purged_at is not None:
            return revision
        revision.title = ""
        revision.body = ""
        revision.purged_at = timezone.now()
        revision.save(update_fields=["title", "body", "purged_at"])
        AuthorAction.objects.create(
            actor=acting_user,
            kind=AuthorAction.Kind.PURGE_REVISION,
            discussion=post if isinstance(post, Discussion) else None,
            reply=post if isinstance(post, Reply) else None,
            revision_number=number,
        )
    return revision


# --- Replies -------------------------------------------------------------------


def _cleaned_or_every_error(checks: dict) -> dict[str, str]:
    """Run each field's check; one ValidationError naming every field that failed."""
    cleaned: dict[str, str] = {}
    errors: dict[str, list] = {}
    for field, check in checks.items():
        try:
            cleaned[field] = check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def pad_number(number: int) -> str:
    return str(number).zfill(NUMBER_DIGITS)


def _existing_reply(author: User, submission_token: str) -> Reply | None:
    if not submission_token:
        return None
    return Reply.objects.filter(author=author, submission_token=submission_token).first()


def reply_create(
    *,
    author: User,
    discussion: Discussion,
    body: str,
    parent_number: int | None = None,
    is_anonymous: bool = False,
    as_professional: bool = False,
    content_warning: str = "",
    submission_token: str = "",
) -> Reply:
    """Reply to a discussion, or to one of its replies (``parent_number``).

    Raises Discussion.DoesNotExist when the author may not (or no longer) see the
    discussion, PermissionDenied (locked, banned, muted, blocked) or ValidationError
    (empty, too long, unknown parent). The number comes from an UPDATE on the discussion
    row inside the transaction, so two replies at once never share a number.
    The same author and ``submission_token`` twice returns the first reply.
    """
    submission_token = (submission_token or "")[:64]
    existing = _existing_reply(author, submission_token)
    if existing is not None:
        return existing
    _require_active_verified(author)
    _check_badge_choice(as_professional=as_professional, is_anonymous=is_anonymous)
    checks = {"body": lambda: _checked_body(body), "content_warning": lambda: _checked_content_warning(content_warning)}
    cleaned = _cleaned_or_every_error(checks)
    body = cleaned["body"]

    parent: Reply | None = None
    if parent_number is not None:
        parent = reply_list_visible_to(author, discussion).filter(number=parent_number).first()
        if parent is None:
            raise ValidationError({"parent": f"There is no reply #{parent_number} to answer here."})

    communities = list(communities_of(discussion))
    screening = screen_post(author=author, communities=communities, body=body)
    if screening.refused:
        raise ValidationError({"body": screening.refusal_message})
    published = not screening.hold

    body_html = render_markdown(body)
    try:
        with transaction.atomic():
            # Locks the discussion row until commit (PostgreSQL) and re-reads its
            # state, so a lock or ban that commits first is respected.
            locked = Discussion.objects.select_for_update().get(pk=discussion.pk)
            if not can_see_discussion(author, locked):
                # Access was lost after the caller's check (removed, banned, left, moved):
                # forbidden looks like missing, and a refusal must not show the discussion.
                raise Discussion.DoesNotExist("No such discussion.")
            refusal = reply_refusal(author, locked)
            if refusal is not None:
                raise PermissionDenied(refusal)
            now = timezone.now()
            counters = {"last_reply_number": F("last_reply_number") + 1}
            if published:
                counters |= {"published_reply_count": F("published_reply_count") + 1, "last_activity_at": now}
            Discussion.objects.filter(pk=discussion.pk).update(**counters)
            number = Discussion.objects.filter(pk=discussion.pk).values_list("last_reply_number", flat=True).get()
            if number > MAX_REPLY_NUMBER:
                raise ValidationError({"body": "This discussion is full. Please start a new one."})
            if parent is None:
                path, depth = pad_number(number), 0
            elif parent.depth >= MAX_PATH_DEPTH:
                # Sorted as the parent's next sibling; the parent link still points home.
                path, depth = f"{parent.path.rsplit('.', 1)[0]}.{pad_number(number)}", parent.depth
            else:
                path, depth = f"{parent.path}.{pad_number(number)}", parent.depth + 1
            reply = Reply.objects.create(
                discussion=discussion,
                author=author,
                number=number,
                parent=parent,
                path=path,
                depth=depth,
                body=body,
                body_html=body_html,
                is_anonymous=is_anonymous,
                as_professional=_may_use_badge(author, as_professional),
                content_warning=cleaned["content_warning"],
                submission_token=submission_token,
                status=Reply.Status.PUBLISHED if published else Reply.Status.HELD,
            )
            screening_record(post=reply, screening=screening)
            if published:
                events.reply_created(discussion_id=discussion.pk, number=number)
                transaction.on_commit(partial(search_index_update, discussion.pk), robust=True)
                transaction.on_commit(partial(notify_reply_created, reply.pk), robust=True)
    except IntegrityError:
        existing = _existing_reply(author, submission_token)
        if existing is None:
            raise
        return existing
    discussion.refresh_from_db(fields=["last_reply_number", "published_reply_count", "last_activity_at"])
    reply.screening = screening
    return reply


def reply_edit(*, acting_user: User, reply: Reply, body: str, content_warning: str | None = None) -> Reply:
    """The author rewrites a reply, or its content warning; the previous text is kept
    as a Revision. ``content_warning=None`` leaves the warning as it is."""
    _require_author(acting_user, reply)
    if reply.is_tombstone:
        raise PermissionDenied("A deleted or removed reply cannot be edited.")
    if reply.discussion.is_locked:
        raise PermissionDenied("This discussion is locked, so its replies cannot be edited.")
    checks = {"body": lambda: _checked_body(body)}
    if content_warning is not None:
        checks["content_warning"] = lambda: _checked_content_warning(content_warning)
    cleaned = _cleaned_or_every_error(checks)
    body = cleaned["body"]
    warning = cleaned.get("content_warning", reply.content_warning)
    if body == reply.body and warning == reply.content_warning:
        return reply
    with transaction.atomic():
        if body != reply.body:
            Revision.objects.create(reply=reply, body=reply.body, edited_by=acting_user)
        reply.body = body
        reply.body_html = render_markdown(body)
        reply.content_warning = warning
        reply.edited_at = timezone.now()
        reply.save(update_fields=["body", "body_html", "content_warning", "edited_at"])
        events.reply_changed(discussion_id=reply.discussion_id, number=reply.number)
        transaction.on_commit(partial(search_index_update, reply.discussion_id), robust=True)
    return reply


def reply_delete_by_author(*, acting_user: User, reply: Reply) -> Reply:
    """The author withdraws a reply. It keeps its number and shows "deleted by its
    author" in its place, so answers to it and links to #N still make sense."""
    _require_author(acting_user, reply)
    if reply.status == Reply.Status.DELETED:
        return reply
    if reply.status == Reply.Status.REMOVED:
        raise PermissionDenied("Moderators already removed this reply.")
    with transaction.atomic():
        was_published = reply.status == Reply.Status.PUBLISHED
        reply.status = Reply.Status.DELETED
        reply.save(update_fields=["status"])
        if was_published:
            Discussion.objects.filter(pk=reply.discussion_id, published_reply_count__gt=0).update(
                published_reply_count=F("published_reply_count") - 1
            )
        events.reply_changed(discussion_id=reply.discussion_id, number=reply.number)
        transaction.on_commit(partial(search_index_update, reply.discussion_id), robust=True)
    return reply
