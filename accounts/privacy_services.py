"""Writes for a member's privacy controls: blocking, exporting and erasing their data.

Exports are built outside the request (see ``data_export_request``) and stored in
private storage, which has no URL; only the owner downloads them, through a view.
Erasure removes or scrubs every row that names the member; what moderation must
keep (the audit log) keeps the kinds of action, not the health content.
"""

import json
import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Block, DataExport, Profile, User

logger = logging.getLogger(__name__)

# Accounts with at most this many posts are exported inside the request: building
# their archive takes milliseconds, and the member gets it at once. Larger accounts
# are built in a background thread after the request commits, so a big account
# never holds a request (or a worker) for long.
EXPORT_INLINE_MAX_POSTS = 200
EXPORT_FORMAT_VERSION = 1


class PostsChoice:
    ANONYMISE = "anonymise"
    DELETE = "delete"
    values = (ANONYMISE, DELETE)


# --- Blocking ---------------------------------------------------------------------


def block_create(*, blocker: User, blocked: User) -> Block:
    """``blocker`` blocks ``blocked``. Blocking twice is the same as once."""
    if not (blocker.is_authenticated and blocker.is_active):
        raise PermissionDenied("Sign in to block a member.")
    if blocker.pk == blocked.pk:
        raise ValidationError("You cannot block yourself.")
    block, _ = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    return block


def block_delete(*, blocker: User, blocked: User) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()


# --- Export -------------------------------------------------------------------------


def _post_count(user: User) -> int:
    from discussions.models import Discussion, Reply

    return Discussion.objects.filter(author=user).count() + Reply.objects.filter(author=user).count()


def data_export_request(*, user: User) -> DataExport:
    """Start an export of everything the member gave us. The caller has reauthenticated them.

    Small accounts are built now (a few queries); larger ones after commit, in a thread.
    """
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied("Sign in to export your data.")
    export = DataExport.objects.create(user=user)
    if _post_count(user) <= getattr(settings, "EXPORT_INLINE_MAX_POSTS", EXPORT_INLINE_MAX_POSTS):
        data_export_build(export.pk)
        export.refresh_from_db()
    else:
        transaction.on_commit(lambda: _build_in_thread(export.pk))
    return export


def _build_in_thread(export_id: int) -> threading.Thread:
    def run() -> None:
        close_old_connections()
        try:
            data_export_build(export_id)
        finally:
            # A thread has its own connection; leaving it open would leak one per export.
            connection.close()

    thread = threading.Thread(target=run, name=f"data-export-{export_id}", daemon=True)
    thread.start()
    return thread


def data_export_build(export_id: int) -> None:
    """Write the archive of one export to private storage and mark it ready."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return
    try:
        archive = data_export_contents(export.user)
        payload = json.dumps(archive, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        export.file.save(f"{export.pk}.json", ContentFile(payload.encode()), save=False)
        now = timezone.now()
        export.status = DataExport.Status.READY
        export.finished_at = now
        export.expires_at = now + timedelta(days=DataExport.LIFETIME_DAYS)
        export.save(update_fields=["file", "status", "finished_at", "expires_at"])
    except Exception:
        logger.exception("data export %s failed", export_id)
        DataExport.objects.filter(pk=export_id).update(status=DataExport.Status.FAILED, finished_at=timezone.now())


def _revisions(queryset) -> list[dict]:
    # Earlier versions of the member's own post; who edited is left out (it may be a moderator).
    # A version whose text the member removed says when, and has no text.
    return [
        {"title": r.title, "body": r.body, "created_at": r.created_at}
        | ({"purged_at": r.purged_at} if r.purged_at else {})
        for r in queryset.order_by("created_at")
    ]


def data_export_contents(user: User) -> dict:
    """Everything of the member, and nothing that identifies anyone else.

    Posts of other members are left out entirely (not even the titles of the
    discussions the member replied in): a reply names its discussion by id and URL.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from accounts.models import ProfessionalVerification
    from community.models import Membership
    from discussions.drafts import draft_list_for_export
    from discussions.models import Discussion, Reply
    from moderation.models import Flag
    from notifications.models import HashtagFollow, Notification, NotificationPreference

    profile = Profile.objects.filter(user=user).first()
    discussions = Discussion.objects.filter(author=user).prefetch_related("tags", "revisions").order_by("pk")
    replies = Reply.objects.filter(author=user).select_related("parent").prefetch_related("revisions").order_by("pk")
    return {
        "format": "spoonful-data-export",
        "version": EXPORT_FORMAT_VERSION,
        "generated_at": timezone.now(),
        "account": {
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary}
                for a in EmailAddress.objects.filter(user=user)
            ],
            # Which second factors are set up; never their secrets.
            "two_factor_methods": sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True)),
            "text_size": user.text_size,
        },
        "consent": {
            "health_data_consent_version": user.health_data_consent_version,
            "health_data_consent_at": user.health_data_consent_at,
        },
        "profile": None
        if profile is None
        else {
            "role": profile.role,
            "pronouns": profile.pronouns,
            "bio": profile.bio,
            "bio_visibility": profile.bio_visibility,
            "conditions": sorted(profile.conditions.values_list("slug", flat=True)),
            "conditions_visibility": profile.conditions_visibility,
            "conflict_of_interest": profile.conflict_of_interest,
            "avatar_kind": profile.avatar_kind,
            "updated_at": profile.updated_at,
        },
        "discussions": [
            {
                "id": d.pk,
                "url": f"/d/{d.pk}/",
                "title": d.title,
                "body": d.body,
                "visibility": d.visibility,
                "anonymous": d.is_anonymous,
                "as_professional": d.as_professional,
                "content_warning": d.content_warning,
                "status": d.status,
                "hashtags": sorted(tag.name for tag in d.tags.all()),
                "created_at": d.created_at,
                "edited_at": d.edited_at,
                "revisions": _revisions(d.revisions.all()),
            }
            for d in discussions
        ],
        "replies": [
            {
                "id": r.pk,
                "discussion_id": r.discussion_id,
                "url": f"/d/{r.discussion_id}/#reply-{r.number}",
                "number": r.number,
                "in_answer_to_number": r.parent.number if r.parent else None,
                "body": r.body,
                "anonymous": r.is_anonymous,
                "as_professional": r.as_professional,
                "content_warning": r.content_warning,
                "status": r.status,
                "created_at": r.created_at,
                "edited_at": r.edited_at,
                "revisions": _revisions(r.revisions.all()),
            }
            for r in replies
        ],
        # What the member was still writing; a reply draft names its discussion by id only.
        "drafts": [
            {
                "form": d.key,
                "title": d.title,
                "body": d.body,
                "hashtags": d.hashtags,
                "content_warning": d.content_warning,
                "updated_at": d.updated_at,
            }
            for d in draft_list_for_export(user)
        ],
        "memberships": [
            {"community": m.community.slug, "role": m.role, "status": m.status, "since": m.created_at}
            for m in Membership.objects.filter(user=user).select_related("community").order_by("pk")
        ],
        "professional_verifications": [
            {
                "profession": v.profession,
                "speciality": v.speciality,
                "licence_number": v.licence_number,
                "issuing_body": v.issuing_body,
                "country": v.country,
                "region": v.region,
                "register_url": v.register_url,
                "status": v.status,
                "info_request": v.info_request,
                "decision_reason": v.decision_reason,
                "decided_at": v.decided_at,
                "expires_at": v.expires_at,
                "applied_at": v.created_at,
                # Evidence files are deleted once decided; only their count is history.
                "evidence_files": v.evidence.count(),
                "events": [{"kind": e.kind, "at": e.at, "reason": e.reason} for e in v.events.all()],
            }
            for v in ProfessionalVerification.objects.filter(applicant=user).order_by("pk")
        ],
        "notification_settings": [
            {"kind": p.kind, "in_app": p.in_app, "email": p.email}
            for p in NotificationPreference.objects.filter(user=user).order_by("kind")
        ],
        "followed_hashtags": sorted(HashtagFollow.objects.filter(user=user).values_list("community__slug", flat=True)),
        # Kinds and dates only: a notification's text would be about someone else's post.
        "notifications": [
            {"kind": n.kind, "created_at": n.created_at, "read": n.read_at is not None}
            for n in Notification.objects.filter(recipient=user).order_by("pk")
        ],
        # The member's own decision; the blocked member's username is what they chose to block.
        "blocks": [
            {"blocked_username": b.blocked.username, "since": b.created_at}
            for b in Block.objects.filter(blocker=user).select_related("blocked").order_by("pk")
        ],
        "flags_made": [
            {
                "discussion_id": f.discussion_id,
                "reply_id": f.reply_id,
                "reason": f.reason,
                "detail": f.detail,
                "status": f.status,
                "outcome": f.outcome,
                "created_at": f.created_at,
            }
            for f in Flag.objects.filter(flagger=user).order_by("pk")
        ],
    }


def data_export_delete_expired(*, now=None) -> int:
    """Remove archives past their expiry (files and rows). Returns how many."""
    now = now or timezone.now()
    expired = DataExport.objects.filter(Q(expires_at__lte=now) | Q(status=DataExport.Status.FAILED))
    count = 0
    for export in expired:
        if export.file:
            export.file.delete(save=False)
        export.delete()
        count += 1
    return count


# --- Erasure --------------------------------------------------------------------------


def _scrub_audit_log(user: User, discussion_ids: list[int], reply_ids: list[int]) -> None:
    """Keep moderation actions (what was done, when, by whom) but not the member's text.

    ModerationAction is append-only through save(); a queryset update is the one
    sanctioned rewrite, and only ever blanks snapshots.
    """
    from moderation.models import ModerationAction

    about_them = Q(target_user=user) | Q(discussion_id__in=discussion_ids) | Q(reply_id__in=reply_ids) | Q(actor=user)
    ModerationAction.objects.filter(about_them).update(before={}, after={})
    for action in ModerationAction.objects.filter(reason__icontains=user.username).only("pk", "reason"):
        ModerationAction.objects.filter(pk=action.pk).update(
            reason=_replace_ci(action.reason, user.username, "[former member]")
        )


def _replace_ci(text: str, old: str, new: str) -> str:
    import re

    return re.sub(re.escape(old), new, text, flags=re.IGNORECASE)


def _end_sessions(user: User) -> None:
    from allauth.usersessions.models import UserSession

    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    UserSession.objects.filter(user=user).delete()
    # Sessions allauth did not track (made before usersessions, or by the test client):
    # only database sessions can be searched, and only those carrying this user's id.
    user_id = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key__in=keys):
        if session.get_decoded().get("_auth_user_id") == user_id:
            keys.append(session.session_key)
    Session.objects.filter(session_key__in=keys).delete()


def _delete_files(user: User) -> None:
    from accounts.models import VerificationEvidence

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
    keep their numbers so threads stay in order). Policy for a deleted discussion: it
    is taken down like any discussion its author deletes, and other members' replies
    in it are kept unchanged in the database (they are those members' data).
    Sessions end at once and open sockets are told to re-check, which closes them.
    """
    from discussions import events
    from discussions.models import Discussion, Reply, Revision
    from discussions.search import search_index_update

    if posts not in PostsChoice.values:
        raise ValidationError({"posts": ["Choose what happens to your posts."]})

    user_id = user.pk
    with transaction.atomic():
        discussions = Discussion.objects.filter(author=user)
        replies = Reply.objects.filter(author=user)
        discussion_ids = list(discussions.values_list("pk", flat=True))
        reply_ids = list(replies.values_list("pk", flat=True))
        touched = set(discussion_ids) | set(replies.values_list("discussion_id", flat=True))
        if posts == PostsChoice.DELETE:
            Revision.objects.filter(Q(discussion_id__in=discussion_ids) | Q(reply_id__in=reply_ids)).delete()
            discussions.update(
                status=Discussion.Status.DELETED,
                title="",
                body="",
                body_html="",
                content_warning="",
                author=None,
                as_professional=False,
            )
            replies.update(
                status=Reply.Status.DELETED,
                body="",
                body_html="",
                content_warning="",
                author=None,
                as_professional=False,
            )
        else:
            discussions.update(author=None, as_professional=False)
            replies.update(author=None, as_professional=False)
        _scrub_audit_log(user, discussion_ids, reply_ids)
        _delete_files(user)
        _end_sessions(user)
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user_id)).delete()
        user.delete()
        events.access_changed(user_id=user_id)
        for discussion_id in touched:
            events.discussion_changed(discussion_id=discussion_id)
            # The search index holds the old text: rebuild it once the rows are blank.
            transaction.on_commit(lambda pk=discussion_id: search_index_update(pk))
