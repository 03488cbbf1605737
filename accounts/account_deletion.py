"""Erasing a member: every row that names them is removed or scrubbed.

What moderation must keep (the audit log) keeps the kinds of action, not the health
content. The member chooses whether their posts stay, shown as a former member's, or
become tombstones.
"""

import re

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import DataExport, Profile, User, VerificationEvidence
from accounts.sessions import session_list_of, sessions_end
from conversations.models import Message
from discussions import events
from discussions.attachments import attachments_delete, attachments_of_posts
from discussions.models import Discussion, Reaction, Reply, Revision
from discussions.related import related_forget_all
from discussions.search import search_index_update
from moderation.models import ModerationAction
from spoonful import jobs


class PostsChoice:
    ANONYMISE = "anonymise"
    DELETE = "delete"
    values = (ANONYMISE, DELETE)


def _scrub_audit_log(user: User, discussion_ids: list[int], reply_ids: list[int]) -> None:
    """Keep moderation actions (what was done, when, by whom) but not the member's text.

    ModerationAction is append-only through save(); a queryset update is the one
    sanctioned rewrite, and only ever blanks snapshots.
    """
    about_them = Q(target_user=user) | Q(discussion_id__in=discussion_ids) | Q(reply_id__in=reply_ids) | Q(actor=user)
    ModerationAction.objects.filter(about_them).update(before={}, after={})
    for action in ModerationAction.objects.filter(reason__icontains=user.username).only("pk", "reason"):
        ModerationAction.objects.filter(pk=action.pk).update(
            reason=_replace_ci(action.reason, user.username, "[former member]")
        )


def _replace_ci(text: str, old: str, new: str) -> str:
    return re.sub(re.escape(old), new, text, flags=re.IGNORECASE)


def _delete_files(user: User) -> None:
    profile = Profile.objects.filter(user=user).first()
    if profile is not None and profile.avatar:
        profile.avatar.delete(save=False)
    for export in DataExport.objects.filter(user=user):
        if export.file:
            export.file.delete(save=False)
    for evidence in VerificationEvidence.objects.filter(application__applicant=user):
        if evidence.file:
            evidence.file.delete(save=False)


def account_delete(*, user: User, posts: str) -> None:
    """Erase a member.

    Precondition: the caller has had the member reauthenticate just now (the view
    uses allauth's ``reauthentication_required``, which rate-limits the password
    and authenticator-code checks); this service checks no credentials itself.

    ``posts``: "anonymise" keeps their discussions and replies, shown as written by a
    former member; "delete" turns them into tombstones with no title or text (replies
    keep their numbers so threads stay in order) and deletes their photos and PDFs;
    "anonymise" keeps those with the text. Policy for a deleted discussion: it
    is taken down like any discussion its author deletes, and other members' replies
    in it are kept unchanged in the database (they are those members' data).
    Sessions end at once and open sockets are told to re-check, which closes them.
    """
    if posts not in PostsChoice.values:
        raise ValidationError({"posts": ["Choose what happens to your posts."]})

    user_id = user.pk
    now = timezone.now()
    with transaction.atomic():
        discussions = Discussion.objects.filter(author=user)
        replies = Reply.objects.filter(author=user)
        discussion_ids = list(discussions.values_list("pk", flat=True))
        reply_ids = list(replies.values_list("pk", flat=True))
        touched = set(discussion_ids) | set(replies.values_list("discussion_id", flat=True))
        if posts == PostsChoice.DELETE:
            Revision.objects.filter(Q(discussion_id__in=discussion_ids) | Q(reply_id__in=reply_ids)).delete()
            attachments_delete(attachments_of_posts(discussion_ids=discussion_ids, reply_ids=reply_ids))
            discussions.update(
                status=Discussion.Status.DELETED,
                tombstoned_at=now,
                title="",
                body="",
                body_html="",
                content_warning="",
                author=None,
                as_professional=False,
            )
            replies.update(
                status=Reply.Status.DELETED,
                tombstoned_at=now,
                body="",
                body_html="",
                content_warning="",
                author=None,
                as_professional=False,
            )
            related_forget_all()  # their titles leave "You may also like" at once
            # Private messages go the same way: the others keep the conversation's shape.
            Message.objects.filter(author=user).update(author=None, body="", body_html="", removed_at=now)
        else:
            discussions.update(author=None, as_professional=False)
            replies.update(author=None, as_professional=False)
            # Kept words, shown as a former member's (Message.author is SET_NULL on delete).
        # Their reactions go with them (the rows would cascade anyway); open pages are told
        # the new counts.
        reactions = Reaction.objects.filter(user=user)
        reacted_to = {
            (discussion_id or reply_discussion_id, number)
            for discussion_id, reply_discussion_id, number in reactions.values_list(
                "discussion_id", "reply__discussion_id", "reply__number"
            )
        }
        reactions.delete()
        for discussion_id, number in reacted_to:
            events.reactions_changed(discussion_id=discussion_id, number=number)
        _scrub_audit_log(user, discussion_ids, reply_ids)
        _delete_files(user)
        sessions_end(session_list_of([user_id]))
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user_id)).delete()
        user.delete()
        events.access_changed(user_id=user_id)
        for discussion_id in touched:
            events.discussion_changed(discussion_id=discussion_id)
            # The search index holds the old text: rebuilt from the blanked rows.
            jobs.enqueue(search_index_update, discussion_id)
