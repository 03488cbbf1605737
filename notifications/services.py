"""Creating notifications: who hears about what, in the app and live, and marking them read.

How work is split so that posting stays fast:

- ``notify_reply_created`` / ``notify_discussion_created`` are jobs (``spoonful.jobs``)
  that services enqueue with the post, so they run once it has committed. They
  write every notification with one ``bulk_create`` and announce new unread counts in
  a bounded number of queries, whatever the number of recipients: a reply's recipients
  are capped (its discussion's author, the parent reply's author, at most
  ``MAX_MENTIONS`` mentions); hashtag followers are fetched and written set-wise.
- Each member's preferences (``notifications.preferences``) decide whether a row is
  written, whether it shows in the app, and how it is emailed (``notifications.emails``).
- What a notification shows is decided when it is read (``notifications.selectors``).
"""

import logging
import re
from collections.abc import Iterable

from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from accounts.models import Block, User
from accounts.selectors import low_energy_member_ids
from discussions import events
from discussions.models import Discussion, Reply
from discussions.selectors import can_see_discussion
from notifications.emails import send_immediate
from notifications.models import HashtagFollow, Notification, NotificationPreference
from notifications.preferences import ALWAYS_ON, preferences_for
from notifications.push import push_wanted, send_push
from spoonful import jobs

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Email = NotificationPreference.Email

MAX_MENTIONS = 20
# '@' not preceded by a word character, '/' or another '@' (email addresses, URLs).
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.+-]{0,148}[A-Za-z0-9_])?)")


# --- Who is mentioned, and who does not want to hear from whom -----------------------------


def mentioned_usernames(text: str) -> list[str]:
    """``@username`` mentions in a post's markdown, lower-cased, first MAX_MENTIONS only."""
    names: list[str] = []
    for match in MENTION.finditer(text):
        name = match.group(1).lower()
        if name not in names:
            names.append(name)
    return names[:MAX_MENTIONS]


def recipients_who_blocked(author_id: int | None, user_ids: Iterable[int]) -> set[int]:
    """Members among ``user_ids`` who blocked ``author_id``: they hear nothing of the author."""
    ids = set(user_ids)
    if author_id is None or not ids:
        return set()
    return set(Block.objects.filter(blocked_id=author_id, blocker_id__in=ids).values_list("blocker_id", flat=True))


# --- Creating notifications ---------------------------------------------------------------


# What a publication fans out to; a second run of the same job finds these and writes nothing.
REPLY_FAN_OUT = (Kind.MENTION, Kind.REPLY_TO_REPLY, Kind.REPLY_TO_DISCUSSION)
DISCUSSION_FAN_OUT = (Kind.MENTION, Kind.FOLLOWED_HASHTAG)


@transaction.atomic
def notify_reply_created(reply_id: int) -> list[Notification]:
    """Tell the discussion's author, the parent reply's author and anyone @mentioned.

    A job, enqueued with the reply. Nobody hears of their own reply; a mention of someone
    who cannot see the discussion, or who blocked the author, does nothing; an anonymous
    reply never names its author. Bounded queries: the number of candidates is capped by
    MAX_MENTIONS + 2. Idempotent: the rows and the check for them commit together.
    """
    reply = Reply.objects.select_related("discussion", "parent").filter(pk=reply_id).first()
    if reply is None or not reply.is_published or not reply.discussion.is_published:
        return []
    if Notification.objects.filter(reply_id=reply_id, kind__in=REPLY_FAN_OUT).exists():
        return []
    discussion = reply.discussion
    candidates: dict[int, str] = {}
    for user_id in _mentioned_user_ids(reply.body):
        candidates[user_id] = Kind.MENTION
    if reply.parent is not None and reply.parent.author_id and reply.parent.is_published:
        candidates[reply.parent.author_id] = Kind.REPLY_TO_REPLY
    if discussion.author_id:
        candidates.setdefault(discussion.author_id, Kind.REPLY_TO_DISCUSSION)
    candidates.pop(reply.author_id, None)

    blocked = recipients_who_blocked(reply.author_id, candidates)
    recipients = User.objects.filter(pk__in=set(candidates) - blocked, is_active=True)
    allowed = {user.pk: candidates[user.pk] for user in recipients if can_see_discussion(user, discussion)}
    return _create(
        allowed,
        actor_id=None if reply.is_anonymous else reply.author_id,
        discussion_id=discussion.pk,
        reply_id=reply.pk,
    )


@transaction.atomic
def notify_discussion_created(discussion_id: int) -> list[Notification]:
    """Tell followers of the discussion's hashtags (and anyone @mentioned in it).

    A job, enqueued with the discussion; idempotent as ``notify_reply_created`` is.
    Followers are written set-wise without a per-follower access check: every
    surface (list, count, email) applies the visibility rule when it reads, so a
    follower who cannot see the discussion never learns of it.
    """
    discussion = Discussion.objects.filter(pk=discussion_id, status=Discussion.Status.PUBLISHED).first()
    if discussion is None:
        return []
    if Notification.objects.filter(
        discussion_id=discussion_id, reply__isnull=True, kind__in=DISCUSSION_FAN_OUT
    ).exists():
        return []
    actor_id = None if discussion.is_anonymous else discussion.author_id

    mentioned = set(_mentioned_user_ids(discussion.body)) - {discussion.author_id}
    mentioned -= recipients_who_blocked(discussion.author_id, mentioned)
    mentions = {
        user.pk: Kind.MENTION
        for user in User.objects.filter(pk__in=mentioned, is_active=True)
        if can_see_discussion(user, discussion)
    }
    created = _create(mentions, actor_id=actor_id, discussion_id=discussion.pk)

    followers = set(
        HashtagFollow.objects.filter(community__tag__discussions_discussiontag_items__content_object=discussion)
        .filter(user__is_active=True)
        .exclude(user_id=discussion.author_id)
        .values_list("user_id", flat=True)
    )
    followers -= set(mentions)
    followers -= recipients_who_blocked(discussion.author_id, followers)
    created += _create(dict.fromkeys(followers, Kind.FOLLOWED_HASHTAG), actor_id=actor_id, discussion_id=discussion.pk)
    return created


def notify(
    recipient: User,
    kind: str,
    *,
    message: str,
    url: str = "",
    discussion: Discussion | None = None,
    reply: Reply | None = None,
    actor: User | None = None,
) -> Notification | None:
    """A notification from another part of the site: verification, moderation and
    join-request decisions. ``message`` is our own short text (never post content);
    ``url`` a site path where the member can read more."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    message = " ".join(message.split())[:300]
    if url and not url.startswith("/"):
        raise ValueError("url must be a path on this site")
    created = _create(
        {recipient.pk: kind},
        actor_id=actor.pk if actor else None,
        discussion_id=discussion.pk if discussion else (reply.discussion_id if reply else None),
        reply_id=reply.pk if reply else None,
        message=message,
        url=url,
    )
    return created[0] if created else None


CRISIS_ALERT_MESSAGE = "Someone may be in crisis. Their post waits at the top of your moderation queue."


def notify_crisis_alert(*, recipient_ids: Iterable[int]) -> list[Notification]:
    """Tell moderators a crisis item waits: a bell (nudged live) and an email now,
    whatever their settings. Neither names the post, its community or its words:
    the notification carries no discussion, only the queue's address, so the email
    has nothing private to leak and the bell stays even while the post is held."""
    return _create(
        dict.fromkeys(recipient_ids, Kind.CRISIS_ALERT),
        message=CRISIS_ALERT_MESSAGE,
        url=reverse("moderation:queue"),
    )


CRISIS_ESCALATION_MESSAGE = (
    "A crisis alert has waited with nobody on it. Open the moderation queue and say you're on it."
)


def notify_crisis_escalation(*, recipient_ids: Iterable[int]) -> list[Notification]:
    """Tell all staff a crisis alert went untaken: as ``notify_crisis_alert``, bell, live nudge and
    email whatever their settings, naming nothing about the post."""
    return _create(
        dict.fromkeys(recipient_ids, Kind.CRISIS_ESCALATION),
        message=CRISIS_ESCALATION_MESSAGE,
        url=reverse("moderation:queue"),
    )


def notify_work_waiting(*, recipient_ids: Iterable[int], kind: str, message: str, url: str) -> list[Notification]:
    """Tell moderators or staff that work waits for them (a verification application, an
    appeal, an old queue), by their preferences for that kind. ``message`` is our own text
    and names no member, post or community; ``url`` is the page where the work waits."""
    if kind not in (Kind.VERIFICATION_APPLICATION, Kind.APPEAL_RECEIVED, Kind.QUEUE_WAITING):
        raise ValueError(f"not a work alert: {kind!r}")
    return _create(dict.fromkeys(recipient_ids, kind), message=message, url=url)


def notify_private_message(*, recipient_ids: Iterable[int], sender: User, url: str, is_request: bool) -> None:
    """One bell (and email, and push) per conversation until it is read: a lively
    conversation is not a flood. Never the message's words, in any of them."""
    waiting = set(
        Notification.objects.filter(
            recipient_id__in=list(recipient_ids), kind=Kind.PRIVATE_MESSAGE, url=url, read_at__isnull=True
        ).values_list("recipient_id", flat=True)
    )
    wording = "would like to talk: a message request" if is_request else "sent you a private message"
    _create(
        {user_id: Kind.PRIVATE_MESSAGE for user_id in recipient_ids if user_id not in waiting},
        actor_id=sender.pk,
        message=f"{sender.public_name} {wording}",
        url=url,
    )
    events.conversation_changed(user_ids=recipient_ids, url=url)


def notify_staff_about_messages(*, message: str, url: str) -> list[Notification]:
    """A reported private message or a member's request for a check-in: every active staff
    member, at once, whatever their settings. The words never travel: only where to look."""
    waiting = Notification.objects.filter(kind=Kind.MESSAGE_REPORT, url=url, read_at__isnull=True)
    staff_ids = (
        User.objects.filter(is_active=True, is_staff=True)
        .exclude(pk__in=waiting.values("recipient_id"))
        .values_list("pk", flat=True)
    )
    return _create(dict.fromkeys(staff_ids, Kind.MESSAGE_REPORT), message=message, url=url)


def notification_mark_read_for_url(*, user: User, url: str) -> int:
    """Opening what a notification points to reads it (a conversation, say)."""
    return Notification.objects.filter(recipient=user, url=url, read_at__isnull=True).update(read_at=timezone.now())


def _mentioned_user_ids(text: str) -> list[int]:
    names = mentioned_usernames(text)
    if not names:
        return []
    return list(
        User.objects.annotate(lower_name=Lower("username"))
        .filter(lower_name__in=names, is_active=True)
        .values_list("pk", flat=True)
    )


def _create(
    kinds_by_user: dict[int, str],
    *,
    actor_id: int | None = None,
    discussion_id: int | None = None,
    reply_id: int | None = None,
    message: str = "",
    url: str = "",
) -> list[Notification]:
    """Write notifications for the members who want them, announce, schedule email and push."""
    if not kinds_by_user:
        return []
    rows = []
    for kind in set(kinds_by_user.values()):
        users = [user_id for user_id, wanted in kinds_by_user.items() if wanted == kind]
        preferences = preferences_for(users, kind)
        # Low-energy mode gathers "email me straight away" into the daily digest; a
        # duty such as a crisis alert still goes at once.
        gathered = set()
        if kind not in ALWAYS_ON:
            gathered = low_energy_member_ids(
                user_id for user_id, preference in preferences.items() if preference.email == Email.IMMEDIATE
            )
        for user_id, preference in preferences.items():
            if not preference.wants_anything:
                continue
            rows.append(
                Notification(
                    recipient_id=user_id,
                    kind=kind,
                    actor_id=actor_id,
                    discussion_id=discussion_id,
                    reply_id=reply_id,
                    message=message,
                    url=url,
                    in_app=preference.in_app,
                    email_status=_initial_email_status(preference.email, gathered=user_id in gathered),
                )
            )
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    live = {row.recipient_id for row in created if row.in_app}
    if live:
        _announce_unread(live)
    immediate = [row.pk for row in created if row.email_status == Notification.EmailStatus.IMMEDIATE]
    if immediate:
        # Both supported databases return the new ids from bulk_create.
        jobs.enqueue(send_immediate, immediate)
    pushed = push_wanted(created)
    if pushed:
        jobs.enqueue(send_push, pushed)
    return created


def _initial_email_status(choice: str, *, gathered: bool = False) -> str:
    if choice == Email.IMMEDIATE and gathered:
        return Notification.EmailStatus.DIGEST
    if choice == Email.IMMEDIATE:
        return Notification.EmailStatus.IMMEDIATE
    if choice == Email.DIGEST:
        return Notification.EmailStatus.DIGEST
    return Notification.EmailStatus.NONE


# --- Live -------------------------------------------------------------------------------


def _announce_unread(user_ids: set[int]) -> None:
    """Nudge each recipient's bell after commit. The frame carries no count: a raw count
    would include notifications about posts the member may not read, and the bell's script
    asks /notifications/unread/, which applies the visibility rule."""
    events.bells_changed(user_ids=user_ids)


# --- Marking read ---------------------------------------------------------------------------


def notification_mark_read(*, user: User, notification_id: int) -> int:
    return Notification.objects.filter(recipient=user, pk=notification_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
