"""A member's copy of their data: the archive, built in the request or after it, and its expiry.

Exports are built outside the request when the account is large (see ``data_export_request``)
and stored in private storage, which has no URL; only the owner downloads them, through a view.
"""

import json
import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from accounts.models import Block, DataExport, ProfessionalVerification, Profile, User
from community.models import Membership
from conversations.selectors import conversation_export_for
from discussions.drafts import draft_list_for_export
from discussions.models import Discussion, Reply
from discussions.reading_selectors import (
    bookmark_list_for_export,
    discussion_follow_list_for_export,
    reading_position_list_for_export,
)
from discussions.selectors import (
    reaction_list_for_export,
)
from moderation.models import Flag, MemberNote
from notifications.models import HashtagFollow, Notification, NotificationPreference, PushSubscription, QuietHours
from spoonful import jobs

logger = logging.getLogger(__name__)

# Accounts with at most this many posts are exported inside the request: building
# their archive takes milliseconds, and the member gets it at once. Larger accounts
# are built in a background thread after the request commits, so a big account
# never holds a request (or a worker) for long.
EXPORT_INLINE_MAX_POSTS = 200
EXPORT_FORMAT_VERSION = 1


def _post_count(user: User) -> int:
    return Discussion.objects.filter(author=user).count() + Reply.objects.filter(author=user).count()


def data_export_request(*, user: User) -> DataExport:
    """Start an export of everything the member gave us. The caller has reauthenticated them.

    Small accounts are built now (a few queries); larger ones by a job queued with the request.
    """
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied("Sign in to export your data.")
    export = DataExport.objects.create(user=user)
    if _post_count(user) <= getattr(settings, "EXPORT_INLINE_MAX_POSTS", EXPORT_INLINE_MAX_POSTS):
        data_export_build(export.pk)
        export.refresh_from_db()
    else:
        jobs.enqueue(data_export_build, export.pk)
    return export


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


def _attachments(attachments, *, discussion_own: bool = False) -> list[dict]:
    # The files themselves are fetched from ``url`` (the permission-checked view), while the
    # member may still read the post; a removed one is listed without its description.
    return [
        {
            "kind": a.kind,
            "filename": a.filename,
            "alt_text": a.alt_text,
            "content_type": a.content_type,
            "size": a.size,
            "pages": a.pages,
            "created_at": a.created_at,
        }
        | ({"removed_by_moderators_at": a.removed_at} if a.removed_at else {"url": a.get_absolute_url()})
        for a in attachments
        if not (discussion_own and a.reply_id is not None)
    ]


def data_export_contents(user: User) -> dict:
    """Everything of the member, and nothing that identifies anyone else.

    Posts of other members are left out entirely (not even the titles of the
    discussions the member replied in): a reply names its discussion by id and URL.
    """
    profile = Profile.objects.filter(user=user).first()
    discussions = (
        Discussion.objects.filter(author=user).prefetch_related("tags", "revisions", "attachments").order_by("pk")
    )
    replies = (
        Reply.objects.filter(author=user)
        .select_related("parent")
        .prefetch_related("revisions", "attachments")
        .order_by("pk")
    )
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
            "low_energy": user.low_energy,
            "slow_to_reply": user.slow_to_reply,
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
                "attachments": _attachments(d.attachments.all(), discussion_own=True),
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
                "attachments": _attachments(r.attachments.all()),
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
        # How far the member has read each discussion they opened, named by id only.
        "reading_positions": [
            {"discussion_id": p.discussion_id, "last_reply_number": p.last_number, "updated_at": p.updated_at}
            for p in reading_position_list_for_export(user)
        ],
        # Discussions the member saved (with their own note) and followed or unfollowed, by id only.
        "bookmarks": [
            {"discussion_id": b.discussion_id, "note": b.note, "saved_at": b.created_at}
            for b in bookmark_list_for_export(user)
        ],
        "followed_discussions": [
            {"discussion_id": f.discussion_id, "following": f.is_following, "updated_at": f.updated_at}
            for f in discussion_follow_list_for_export(user)
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
        "quiet_hours": next(
            ({"from_hour": q.start_hour, "until_hour": q.end_hour} for q in QuietHours.objects.filter(user=user)), None
        ),
        # Devices as the settings page names them; the endpoint is the device's address at its push service, kept out.
        "push_devices": [
            {"label": d.label, "enabled": d.enabled, "added_at": d.created_at, "last_push_at": d.last_success_at}
            for d in PushSubscription.objects.filter(user=user).order_by("pk")
        ],
        # Private conversations as the member was shown them, and who may message them.
        "private_messages": conversation_export_for(user),
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
        # Which post (the discussion, or its reply by number) and which kind: the member's own clicks.
        "reactions": [
            {
                "discussion_id": r.discussion_id if r.reply_id is None else r.reply.discussion_id,
                "reply_number": r.reply.number if r.reply_id is not None else None,
                "kind": r.kind,
                "created_at": r.created_at,
            }
            for r in reaction_list_for_export(user)
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
        # Moderators' private notes about the member are personal data about them (GDPR art. 15):
        # the text, community and date, without the moderator who wrote it (README, "Member notes").
        "moderator_notes_about_you": [
            {"community": n.community.slug, "text": n.text, "created_at": n.created_at}
            for n in MemberNote.objects.filter(member=user).select_related("community").order_by("pk")
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
