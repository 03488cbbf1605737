"""Writing posts: starting, editing and deleting discussions and replies. Each service
validates, saves in one transaction, and schedules what follows the commit.

Every service takes the acting member and checks what that member may do with the
rules in ``discussions.post_checks``, ``discussions.placement`` and the visibility
predicates in ``discussions.selectors``; views stay thin and a second caller (the
API, a management command) cannot skip a rule. Who can read a discussion later is
``discussions.audience_services``; the author's edit history, ``revision_services``.
"""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from discussions import events
from discussions.attachments import attachments_checked, attachments_delete, attachments_of_posts, attachments_save
from discussions.drafts import NEW_DISCUSSION_KEY, draft_discard, reply_key
from discussions.markdown import render_markdown
from discussions.models import Discussion, Reply, Revision
from discussions.placement import communities_named, placement_for
from discussions.post_checks import (
    check_badge_choice,
    checked_body,
    checked_content_warning,
    checked_title,
    checked_visibility,
    cleaned_or_every_error,
    may_use_badge,
    require_active_verified,
    require_author,
)
from discussions.reading_services import discussion_follow_by_posting
from discussions.search import search_index_update
from discussions.selectors import can_see_discussion, discussion_communities, reply_list_visible_to, reply_refusal
from moderation.screening import screen_post, screening_record
from moderation.selectors import posting_refusal
from notifications.services import notify_discussion_created, notify_reply_created
from spoonful import jobs

# Reply numbers are zero-padded to this many digits in ``Reply.path``.
NUMBER_DIGITS = 6
MAX_REPLY_NUMBER = 10**NUMBER_DIGITS - 1
# ``Reply.path`` holds 255 characters: 36 levels of "000123.". Deeper answers
# keep their real parent (for the "replying to" link) but sort at this depth.
MAX_PATH_DEPTH = 30


# --- Discussions ---------------------------------------------------------------


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
    wants_professional: bool = False,
    submission_token: str = "",
    attachments: Sequence[UploadedFile] = (),
    alt_texts: Sequence[str] = (),
) -> Discussion:
    """Start a discussion in one to five communities.

    ``wants_professional`` lists it for verified clinicians who follow one of its
    communities until one of them replies with their badge
    (``community.listings.discussion_list_waiting_for_professional``).

    The same author and ``submission_token`` twice (a double click, a resent form)
    returns the first discussion instead of creating another.

    ``attachments`` are uploaded files, the i-th described by ``alt_texts[i]``
    (``discussions.attachments``); a refused file refuses the post, with every problem named.
    The author's new-discussion draft is deleted with the discussion's commit.
    """
    require_active_verified(author)
    submission_token = (submission_token or "")[:64]
    existing = _existing_discussion(author, submission_token)
    if existing is not None:
        return existing
    check_badge_choice(as_professional=as_professional, is_anonymous=is_anonymous)

    cleaned = cleaned_or_every_error(
        {
            "title": lambda: checked_title(title),
            "body": lambda: checked_body(body),
            "content_warning": lambda: checked_content_warning(content_warning),
            "visibility": lambda: checked_visibility(visibility),
            "attachments": lambda: attachments_checked(list(attachments), list(alt_texts)),
        }
    )
    communities = communities_named(author, list(hashtags), text=f"{cleaned['title']}\n{cleaned['body']}")
    placement = placement_for(author=author, communities=communities, visibility=cleaned["visibility"])
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
                as_professional=may_use_badge(author, as_professional),
                content_warning=cleaned["content_warning"],
                wants_professional=wants_professional,
                visibility=placement.visibility,
                last_activity_at=timezone.now(),
                submission_token=submission_token,
            )
            discussion.tags.add(*[community.tag for community in placement.communities])
            attachments_save(post=discussion, checked=cleaned["attachments"])
            screening_record(post=discussion, screening=screening)
            discussion_follow_by_posting(user=author, discussion_id=discussion.pk)
            # Posted, the new-discussion draft is done with; deleted in the same commit.
            draft_discard(user=author, key=NEW_DISCUSSION_KEY)
            jobs.enqueue(search_index_update, discussion.pk)
            if discussion.is_published:
                jobs.enqueue(notify_discussion_created, discussion.pk)
    except IntegrityError:
        # The same form submitted twice at once: the other request won.
        existing = _existing_discussion(author, submission_token)
        if existing is None:
            raise
        return existing
    discussion.screening = screening
    return discussion


def discussion_edit(
    *,
    acting_user: User,
    discussion: Discussion,
    title: str,
    body: str,
    content_warning: str | None = None,
    wants_professional: bool | None = None,
) -> Discussion:
    """The author rewrites the title or body; the previous text is kept as a Revision.

    ``wants_professional`` (None: left as it is) asks for, or stops asking for, a
    professional's view. On its own it is no edit of the text: no revision, no mark.
    """
    require_author(acting_user, discussion)
    if discussion.is_tombstone:
        raise PermissionDenied("A deleted or removed discussion cannot be edited.")
    checks = {"title": lambda: checked_title(title), "body": lambda: checked_body(body)}
    if content_warning is not None:
        checks["content_warning"] = lambda: checked_content_warning(content_warning)
    cleaned = cleaned_or_every_error(checks)
    if wants_professional is not None and wants_professional != discussion.wants_professional:
        with transaction.atomic():
            discussion.wants_professional = wants_professional
            discussion.save(update_fields=["wants_professional"])
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
        jobs.enqueue(search_index_update, discussion.pk)
    return discussion


def discussion_delete_by_author(*, acting_user: User, discussion: Discussion) -> Discussion:
    """The author takes the discussion down; replies stay in the database but are no
    longer reachable, because nobody can see the discussion any more. Its own photos
    and PDFs are deleted at once."""
    require_author(acting_user, discussion)
    if discussion.status == Discussion.Status.DELETED:
        return discussion
    if discussion.status == Discussion.Status.REMOVED:
        raise PermissionDenied("Moderators already removed this discussion.")
    with transaction.atomic():
        discussion.status = Discussion.Status.DELETED
        discussion.tombstoned_at = timezone.now()
        discussion.save(update_fields=["status", "tombstoned_at"])
        attachments_delete(attachments_of_posts(discussion_ids=[discussion.pk]))
        events.discussion_changed(discussion_id=discussion.pk)
        jobs.enqueue(search_index_update, discussion.pk)
    return discussion


# --- Replies -------------------------------------------------------------------


def pad_number(number: int) -> str:
    return str(number).zfill(NUMBER_DIGITS)


def _existing_reply(author: User, submission_token: str) -> Reply | None:
    if not submission_token:
        return None
    return Reply.objects.filter(author=author, submission_token=submission_token).first()


def _parent_or_error(author: User, discussion: Discussion, parent_number: int | None) -> Reply | None:
    if parent_number is None:
        return None
    parent = reply_list_visible_to(author, discussion).filter(number=parent_number).first()
    if parent is None:
        raise ValidationError({"parent": f"There is no reply #{parent_number} to answer here."})
    return parent


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
    attachments: Sequence[UploadedFile] = (),
    alt_texts: Sequence[str] = (),
) -> Reply:
    """Reply to a discussion, or to one of its replies (``parent_number``).

    Raises Discussion.DoesNotExist when the author may not (or no longer) see the
    discussion, PermissionDenied (locked, banned, muted, blocked) or ValidationError
    (empty, too long, unknown parent). The number comes from an UPDATE on the discussion
    row inside the transaction, so two replies at once never share a number.
    The same author and ``submission_token`` twice returns the first reply.
    ``attachments`` and ``alt_texts`` are as for ``discussion_create``. The author's
    draft of a reply here is deleted with the reply's commit.
    """
    submission_token = (submission_token or "")[:64]
    existing = _existing_reply(author, submission_token)
    if existing is not None:
        return existing
    require_active_verified(author)
    check_badge_choice(as_professional=as_professional, is_anonymous=is_anonymous)
    checks = {
        "body": lambda: checked_body(body),
        "content_warning": lambda: checked_content_warning(content_warning),
        "attachments": lambda: attachments_checked(list(attachments), list(alt_texts)),
    }
    cleaned = cleaned_or_every_error(checks)
    body = cleaned["body"]

    body_html = render_markdown(body)
    try:
        with transaction.atomic():
            # Locks the discussion row until commit (PostgreSQL) and re-reads its
            # state, so a lock or ban that commits first is respected.
            locked = Discussion.objects.select_for_update().get(pk=discussion.pk)
            # Its communities, read once under the lock: the refusal and the screening share them.
            communities = discussion_communities(locked)
            refusal = reply_refusal(author, locked)
            if refusal is not None:
                if not can_see_discussion(author, locked):
                    # Access was lost after the caller's check (removed, banned, left, moved):
                    # forbidden looks like missing, and a refusal must not show the discussion.
                    raise Discussion.DoesNotExist("No such discussion.")
                raise PermissionDenied(refusal)
            screening = screen_post(author=author, communities=communities, body=body)
            if screening.refused:
                raise ValidationError({"body": screening.refusal_message})
            published = not screening.hold
            # Looked up once access is confirmed: a reply the author may not read is no parent,
            # and a discussion they lost must not come back as a form error about it.
            parent = _parent_or_error(author, locked, parent_number)
            now = timezone.now()
            counters = {"last_reply_number": F("last_reply_number") + 1}
            if published:
                counters |= {"published_reply_count": F("published_reply_count") + 1, "last_activity_at": now}
            Discussion.objects.filter(pk=discussion.pk).update(**counters)
            number, published_count, last_activity_at = (
                Discussion.objects.filter(pk=discussion.pk)
                .values_list("last_reply_number", "published_reply_count", "last_activity_at")
                .get()
            )
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
                as_professional=may_use_badge(author, as_professional),
                content_warning=cleaned["content_warning"],
                submission_token=submission_token,
                status=Reply.Status.PUBLISHED if published else Reply.Status.HELD,
            )
            attachments_save(post=reply, checked=cleaned["attachments"])
            screening_record(post=reply, screening=screening)
            discussion_follow_by_posting(user=author, discussion_id=discussion.pk)
            # Posted, the reply's draft is done with; deleted in the same commit.
            draft_discard(user=author, key=reply_key(discussion.pk))
            if published:
                events.reply_created(discussion_id=discussion.pk, number=number)
                jobs.enqueue(search_index_update, discussion.pk)
                jobs.enqueue(notify_reply_created, reply.pk)
    except IntegrityError:
        existing = _existing_reply(author, submission_token)
        if existing is None:
            raise
        return existing
    # The counters as this reply left them, for the caller's copy of the discussion.
    discussion.last_reply_number = number
    discussion.published_reply_count = published_count
    discussion.last_activity_at = last_activity_at
    reply.screening = screening
    return reply


def reply_edit(*, acting_user: User, reply: Reply, body: str, content_warning: str | None = None) -> Reply:
    """The author rewrites a reply, or its content warning; the previous text is kept
    as a Revision. ``content_warning=None`` leaves the warning as it is."""
    require_author(acting_user, reply)
    if reply.is_tombstone:
        raise PermissionDenied("A deleted or removed reply cannot be edited.")
    if reply.discussion.is_locked:
        raise PermissionDenied("This discussion is locked, so its replies cannot be edited.")
    checks = {"body": lambda: checked_body(body)}
    if content_warning is not None:
        checks["content_warning"] = lambda: checked_content_warning(content_warning)
    cleaned = cleaned_or_every_error(checks)
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
        jobs.enqueue(search_index_update, reply.discussion_id)
    return reply


def reply_delete_by_author(*, acting_user: User, reply: Reply) -> Reply:
    """The author withdraws a reply. It keeps its number and shows "deleted by its
    author" in its place, so answers to it and links to #N still make sense. Its
    photos and PDFs are deleted at once."""
    require_author(acting_user, reply)
    if reply.status == Reply.Status.DELETED:
        return reply
    if reply.status == Reply.Status.REMOVED:
        raise PermissionDenied("Moderators already removed this reply.")
    with transaction.atomic():
        was_published = reply.status == Reply.Status.PUBLISHED
        reply.status = Reply.Status.DELETED
        reply.tombstoned_at = timezone.now()
        reply.save(update_fields=["status", "tombstoned_at"])
        attachments_delete(attachments_of_posts(reply_ids=[reply.pk]))
        if was_published:
            Discussion.objects.filter(pk=reply.discussion_id, published_reply_count__gt=0).update(
                published_reply_count=F("published_reply_count") - 1
            )
        events.reply_changed(discussion_id=reply.discussion_id, number=reply.number)
        jobs.enqueue(search_index_update, reply.discussion_id)
    return reply


# --- Reading positions ----------------------------------------------------------------


# One statement, the same on SQLite (3.24+) and PostgreSQL: insert, or move an existing
# position forward (never back). The table is ReadingPosition's (``discussions_readingposition``).
READING_POSITION_UPSERT = (
    "INSERT INTO discussions_readingposition (user_id, discussion_id, last_number, updated_at) "
    "VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (user_id, discussion_id) DO UPDATE "
    "SET last_number = excluded.last_number, updated_at = excluded.updated_at "
    "WHERE discussions_readingposition.last_number < excluded.last_number"
)


def reading_position_record(*, user: User, discussion: Discussion, number: int, known: int | None = None) -> None:
    """Remember that ``user`` has had reply ``number`` of ``discussion`` on screen, in one
    upsert whatever the state. The position only moves forward, so opening an earlier
    window keeps what was read. ``number`` 0 says they opened it while it had no reply on
    screen: every reply after that is new to them ("3 new replies"), where a discussion with
    no position at all is one they never opened. The caller has checked the member may read
    the discussion.

    ``known`` is the position the caller read in this request: a number not past it would
    change nothing, so nothing is written (the upsert would still lock the row and commit,
    on every page a member opens again)."""
    if not (user.is_authenticated and number >= 0):
        return
    if known is not None and number <= known:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(READING_POSITION_UPSERT, [user.pk, discussion.pk, number, now])
