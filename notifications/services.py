"""Notifications: who hears about what, in the app, live and by email.

How work is split so that posting stays fast:

- ``notify_reply_created`` / ``notify_discussion_created`` run after the post's
  transaction commits (services schedule them with ``transaction.on_commit``). They
  write every notification with one ``bulk_create`` and announce new unread counts in
  a bounded number of queries, whatever the number of recipients: a reply's recipients
  are capped (its discussion's author, the parent reply's author, at most
  ``MAX_MENTIONS`` mentions); hashtag followers are fetched and written set-wise.
- Email never runs in the request: immediate emails go out on a short-lived daemon
  thread, and ``manage.py send_notification_digests`` (run by a scheduler) sends the
  daily digests and anything the thread did not finish. Each notification moves
  IMMEDIATE/DIGEST -> SENDING -> SENT exactly once, so no email is sent twice.
- What a notification shows is decided when it is read: the list and the unread count
  go through the visibility rule, and emails re-check access at send time. An email
  about a post that is not public carries neither its title nor its text.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from threading import Thread

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import close_old_connections, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import is_moderator_anywhere
from community.models import Community
from discussions.events import user_group_name
from discussions.models import Discussion, Reply
from discussions.presenters import author_label
from discussions.selectors import can_see_discussion, discussion_list_visible_to, reply_list_readable_by
from notifications.models import HashtagFollow, Notification, NotificationPreference

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Email = NotificationPreference.Email

MAX_MENTIONS = 20
# '@' not preceded by a word character, '/' or another '@' (email addresses, URLs).
MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.+-]{0,148}[A-Za-z0-9_])?)")
# The module's old path, kept: links already in inboxes are signed with it.
UNSUBSCRIBE_SALT = "discussions.notifications.unsubscribe"
POST_KINDS = (Kind.REPLY_TO_DISCUSSION, Kind.REPLY_TO_REPLY, Kind.MENTION, Kind.FOLLOWED_HASHTAG)


@dataclass(frozen=True)
class Preference:
    in_app: bool
    email: str

    @property
    def wants_anything(self) -> bool:
        return self.in_app or self.email != Email.OFF


DEFAULTS: dict[str, Preference] = {
    Kind.REPLY_TO_DISCUSSION: Preference(in_app=True, email=Email.DIGEST),
    Kind.REPLY_TO_REPLY: Preference(in_app=True, email=Email.DIGEST),
    Kind.MENTION: Preference(in_app=True, email=Email.DIGEST),
    # Following a busy hashtag can be a flood; members switch this on deliberately.
    Kind.FOLLOWED_HASHTAG: Preference(in_app=False, email=Email.OFF),
    Kind.VERIFICATION_DECISION: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.MODERATION_DECISION: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.JOIN_REQUEST_DECISION: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.CRISIS_ALERT: Preference(in_app=True, email=Email.IMMEDIATE),
}
# Someone may be in danger: a moderator's duty, not a preference. These go out at
# once by bell and email whatever the member chose for everything else, and no
# setting or one-click link turns them off.
ALWAYS_ON = frozenset({Kind.CRISIS_ALERT})
SWITCHABLE_KINDS = tuple(kind for kind in Kind.values if kind not in ALWAYS_ON)


# --- Preferences and follows ---------------------------------------------------------


def preferences_for(user_ids: Iterable[int], kind: str) -> dict[int, Preference]:
    """Each member's preference for one kind (the default where they chose nothing), in one query."""
    ids = set(user_ids)
    if kind in ALWAYS_ON:
        return dict.fromkeys(ids, DEFAULTS[kind])
    found = {
        row.user_id: Preference(in_app=row.in_app, email=row.email)
        for row in NotificationPreference.objects.filter(user_id__in=ids, kind=kind)
    }
    return {user_id: found.get(user_id, DEFAULTS[kind]) for user_id in ids}


def preference_list(user: User) -> list[tuple[str, str, Preference]]:
    """``(kind, label, preference)`` for every kind, for the settings page."""
    chosen = {row.kind: Preference(row.in_app, row.email) for row in user.notification_preferences.all()}
    return [(kind, label, chosen.get(kind, DEFAULTS[kind])) for kind, label in Kind.choices if kind not in ALWAYS_ON]


def preference_set(*, user: User, kind: str, in_app: bool, email: str) -> NotificationPreference:
    if kind not in SWITCHABLE_KINDS or email not in Email.values:
        raise ValueError("unknown notification kind or email choice")
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"in_app": in_app, "email": email}
    )
    return preference


def email_unsubscribe(*, user: User, kinds: Iterable[str]) -> None:
    """Stop email for these kinds (what the one-click link does); in-app stays as it was."""
    kinds = [kind for kind in kinds if kind not in ALWAYS_ON]
    for kind in kinds:
        current = preferences_for([user.pk], kind)[user.pk]
        preference_set(user=user, kind=kind, in_app=current.in_app, email=Email.OFF)
    # Nothing already waiting for these kinds may still go out.
    Notification.objects.filter(
        recipient=user,
        kind__in=list(kinds),
        email_status__in=(Notification.EmailStatus.IMMEDIATE, Notification.EmailStatus.DIGEST),
    ).update(email_status=Notification.EmailStatus.SKIPPED)


def hashtag_follow(*, user: User, community: Community) -> HashtagFollow:
    follow, _ = HashtagFollow.objects.get_or_create(user=user, community=community)
    return follow


def hashtag_unfollow(*, user: User, community: Community) -> None:
    HashtagFollow.objects.filter(user=user, community=community).delete()


def is_following(user: User | AnonymousUser, community: Community) -> bool:
    return user.is_authenticated and HashtagFollow.objects.filter(user=user, community=community).exists()


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
    """BLOCK HOOK: members among ``user_ids`` who blocked ``author_id``.

    Blocking is not built yet. When a ``Block`` model (fields ``blocker``, ``blocked``)
    exists in accounts or discussions, it is used; otherwise nobody has blocked anyone.
    """
    ids = set(user_ids)
    if author_id is None or not ids:
        return set()
    for label in ("accounts", "discussions"):
        try:
            block = apps.get_model(label, "Block")
        except LookupError:
            continue
        return set(block.objects.filter(blocked_id=author_id, blocker_id__in=ids).values_list("blocker_id", flat=True))
    return set()


# --- Creating notifications ---------------------------------------------------------------


def notify_reply_created(reply_id: int) -> list[Notification]:
    """Tell the discussion's author, the parent reply's author and anyone @mentioned.

    Call after the reply's transaction commits. Nobody hears of their own reply; a
    mention of someone who cannot see the discussion, or who blocked the author, does
    nothing; an anonymous reply never names its author. Bounded queries: the number of
    candidates is capped by MAX_MENTIONS + 2.
    """
    reply = Reply.objects.select_related("discussion", "parent").filter(pk=reply_id).first()
    if reply is None or not reply.is_published or not reply.discussion.is_published:
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


def notify_discussion_created(discussion_id: int) -> list[Notification]:
    """Tell followers of the discussion's hashtags (and anyone @mentioned in it).

    Followers are written set-wise without a per-follower access check: every
    surface (list, count, email) applies the visibility rule when it reads, so a
    follower who cannot see the discussion never learns of it.
    """
    discussion = Discussion.objects.filter(pk=discussion_id, status=Discussion.Status.PUBLISHED).first()
    if discussion is None:
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
    """Write notifications for the members who want them, announce, schedule email."""
    if not kinds_by_user:
        return []
    rows = []
    for kind in set(kinds_by_user.values()):
        users = [user_id for user_id, wanted in kinds_by_user.items() if wanted == kind]
        for user_id, preference in preferences_for(users, kind).items():
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
                    email_status=_initial_email_status(preference.email),
                )
            )
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    live = {row.recipient_id for row in created if row.in_app}
    if live:
        _announce_unread(live)
    immediate = [row.pk for row in created if row.email_status == Notification.EmailStatus.IMMEDIATE]
    if immediate and all(pk is not None for pk in immediate):
        transaction.on_commit(lambda: _send_soon(immediate))
    elif immediate:
        # A backend that does not return ids from bulk_create: the digest command sends them.
        logger.info("immediate notification emails left to send_notification_digests")
    return created


def _initial_email_status(choice: str) -> str:
    if choice == Email.IMMEDIATE:
        return Notification.EmailStatus.IMMEDIATE
    if choice == Email.DIGEST:
        return Notification.EmailStatus.DIGEST
    return Notification.EmailStatus.NONE


# --- Reading ----------------------------------------------------------------------------


def notification_list_visible_to(user: User) -> QuerySet[Notification]:
    """The member's in-app notifications whose post they may still read (one query).

    A notification about a discussion that became private or was removed, or about a
    reply that was hidden or removed, disappears rather than showing a dead link.
    """
    return (
        Notification.objects.filter(recipient=user, in_app=True)
        .filter(Q(discussion__isnull=True) | Q(discussion__in=discussion_list_visible_to(user).values("pk")))
        .filter(Q(reply__isnull=True) | Q(reply__in=reply_list_readable_by(user).filter(status=Reply.Status.PUBLISHED)))
        .select_related("discussion", "reply", "actor")
    )


def unread_count(user: User | AnonymousUser) -> int:
    if not (user.is_authenticated and user.is_active):
        return 0
    return notification_list_visible_to(user).filter(read_at__isnull=True).count()


def notification_mark_read(*, user: User, notification_id: int) -> int:
    return Notification.objects.filter(recipient=user, pk=notification_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- Live -------------------------------------------------------------------------------


def _announce_unread(user_ids: set[int]) -> None:
    """Nudge each recipient's bell after commit: ``{"type": "notification.created"}``.

    The frame carries no count: a raw count would include notifications about posts
    the member may not read (a follower outside a community-only discussion), and
    filtering per recipient here would cost a query each. The bell's script asks
    /notifications/unread/, which applies the visibility rule.
    """

    def send() -> None:
        try:
            layer = get_channel_layer()
            for user_id in user_ids:
                async_to_sync(layer.group_send)(user_group_name(user_id), {"type": "notification.created"})
        except Exception:
            # Live is an enhancement: the bell is right on the next page load.
            logger.warning("live notification counts could not be sent", exc_info=True)

    transaction.on_commit(send)


# --- Email ------------------------------------------------------------------------------

SUBJECTS = {
    Kind.REPLY_TO_DISCUSSION: "New reply to your discussion",
    Kind.REPLY_TO_REPLY: "Someone answered your reply",
    Kind.MENTION: "You were mentioned in a discussion",
    Kind.FOLLOWED_HASHTAG: "A new discussion in a hashtag you follow",
    Kind.VERIFICATION_DECISION: "A decision about your professional verification",
    Kind.MODERATION_DECISION: "A moderation decision about your post",
    Kind.JOIN_REQUEST_DECISION: "A decision about your request to join",
    Kind.CRISIS_ALERT: "A crisis alert waits in your moderation queue",
}


def unsubscribe_token(user: User, kinds: Iterable[str]) -> str:
    return signing.dumps({"u": user.pk, "k": sorted(set(kinds))}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[User, list[str]] | None:
    """The member and kinds a link names, or None for a forged or broken link."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    kinds = [kind for kind in data.get("k", []) if kind in Kind.values]
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or not kinds:
        return None
    return user, kinds


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _unsubscribe_url(user: User, kinds: Iterable[str]) -> str:
    return absolute(reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(user, kinds)}))


def _clean_subject(text: str) -> str:
    # Header injection: a subject is always one line.
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    return " ".join(f"{prefix}{text}".split())[:150]


@dataclass
class EmailItem:
    """One notification as an email may show it. Post details only for public posts."""

    kind: str
    kind_label: str
    headline: str
    title: str
    actor_name: str
    link: str
    message: str


def _behind_warning(discussion: Discussion, reply: Reply | None) -> bool:
    return bool(discussion.content_warning or (reply is not None and reply.content_warning))


def email_item(notification: Notification) -> EmailItem | None:
    """What an email may say about a notification, re-checking access now; None if nothing."""
    recipient = notification.recipient
    discussion = notification.discussion
    if discussion is not None and not can_see_discussion(recipient, discussion):
        return None
    if notification.reply_id is not None and notification.reply.status != Reply.Status.PUBLISHED:
        return None
    public = discussion is not None and can_see_discussion(AnonymousUser(), discussion)
    reply = notification.reply
    about = reply if reply is not None else discussion
    if notification.kind == Kind.CRISIS_ALERT:
        if not is_moderator_anywhere(recipient):
            return None
        # Straight to the queue, where the item is on top; nothing about the post itself.
        return EmailItem(
            kind=notification.kind,
            kind_label=Kind(notification.kind).label,
            headline=SUBJECTS[notification.kind],
            title="",
            actor_name="",
            link=absolute(reverse("moderation:queue")),
            message=notification.message,
        )
    # Named only where the discussion is public, and then as the site names them.
    actor_name = author_label(about, recipient).name if public and about is not None else ""
    return EmailItem(
        kind=notification.kind,
        kind_label=Kind(notification.kind).label,
        headline=SUBJECTS[notification.kind],
        # A post that is not public is "something to read": no title, hashtag or text.
        # A content warning (on the discussion or on the reply) keeps even a public
        # title out of the inbox, as it keeps the text folded on the site.
        title=discussion.title if public and not _behind_warning(discussion, reply) else "",
        actor_name=actor_name,
        link=absolute(reverse("notifications:open", kwargs={"pk": notification.pk})),
        message=notification.message,
    )


def _deliver(user: User, subject: str, context: dict, kinds: Iterable[str], template: str) -> None:
    kinds = list(kinds)
    # An always-on email offers no unsubscribe: the link could not keep its promise.
    unsubscribe = "" if set(kinds) <= ALWAYS_ON else _unsubscribe_url(user, kinds)
    context = {**context, "user": user, "unsubscribe_url": unsubscribe, "site_url": settings.SITE_URL}
    text = render_to_string(f"email/{template}.txt", context)
    html = render_to_string(f"email/{template}.html", context)
    headers = {}
    if unsubscribe:
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    message = EmailMultiAlternatives(subject=_clean_subject(subject), body=text, to=[user.email], headers=headers)
    message.attach_alternative(html, "text/html")
    message.send()


def _claim(pks: Iterable[int], from_status: str) -> list[Notification]:
    """Move rows to SENDING one by one; only the worker whose update counted may send them."""
    claimed = []
    for pk in pks:
        if Notification.objects.filter(pk=pk, email_status=from_status).update(
            email_status=Notification.EmailStatus.SENDING
        ):
            claimed.append(pk)
    return list(Notification.objects.filter(pk__in=claimed).select_related("recipient", "discussion", "reply", "actor"))


def _finish(rows: list[Notification], status: str) -> None:
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
        email_status=status, emailed_at=timezone.now() if status == Notification.EmailStatus.SENT else None
    )


def _email_still_wanted(notification: Notification, mode: str) -> bool:
    recipient = notification.recipient
    if not (recipient.is_active and recipient.email):
        return False
    return preferences_for([recipient.pk], notification.kind)[recipient.pk].email == mode


def send_immediate(pks: Iterable[int]) -> int:
    """Email each of these notifications now, once. Returns how many emails went out."""
    sent = 0
    for notification in _claim(pks, Notification.EmailStatus.IMMEDIATE):
        item = email_item(notification) if _email_still_wanted(notification, Email.IMMEDIATE) else None
        if item is None:
            _finish([notification], Notification.EmailStatus.SKIPPED)
            continue
        try:
            _deliver(notification.recipient, item.headline, {"item": item}, [notification.kind], "notification")
        except Exception:
            # Logged without content; the next digest run tries again.
            logger.warning("notification email %s could not be sent", notification.pk, exc_info=True)
            _finish([notification], Notification.EmailStatus.IMMEDIATE)
            continue
        _finish([notification], Notification.EmailStatus.SENT)
        sent += 1
    return sent


def send_digests() -> int:
    """One email per member with everything waiting for the digest. Idempotent: each
    notification is claimed before sending and never goes back to waiting once sent."""
    sent = 0
    waiting = (
        Notification.objects.filter(email_status=Notification.EmailStatus.DIGEST)
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    for recipient_id in list(waiting):
        pks = Notification.objects.filter(
            recipient_id=recipient_id, email_status=Notification.EmailStatus.DIGEST
        ).values_list("pk", flat=True)
        rows = _claim(list(pks), Notification.EmailStatus.DIGEST)
        if not rows:
            continue
        items, used = [], []
        for row in sorted(rows, key=lambda row: row.created_at):
            item = email_item(row) if _email_still_wanted(row, Email.DIGEST) else None
            if item is None:
                _finish([row], Notification.EmailStatus.SKIPPED)
            else:
                items.append(item)
                used.append(row)
        if not items:
            continue
        user = used[0].recipient
        kinds = sorted({item.kind for item in items})
        links = [(Kind(kind).label, _unsubscribe_url(user, [kind])) for kind in kinds]
        subject = "Your daily Spoonful digest" if len(items) > 1 else items[0].headline
        try:
            _deliver(user, subject, {"items": items, "kind_links": links}, kinds, "digest")
        except Exception:
            logger.warning("digest for member %s could not be sent", recipient_id, exc_info=True)
            _finish(used, Notification.EmailStatus.DIGEST)
            continue
        _finish(used, Notification.EmailStatus.SENT)
        sent += 1
    return sent


def send_leftover_immediate(*, older_than_seconds: int = 300) -> int:
    """Immediate emails a crashed or slow thread left behind."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    pks = Notification.objects.filter(
        email_status=Notification.EmailStatus.IMMEDIATE, created_at__lt=cutoff
    ).values_list("pk", flat=True)
    return send_immediate(list(pks))


def _send_soon(pks: list[int]) -> None:
    """Immediate emails off the request: inline when settings say so (tests, scripts),
    otherwise on a daemon thread with its own database connection."""
    if getattr(settings, "NOTIFICATIONS_EMAIL_INLINE", False):
        send_immediate(pks)
        return

    def run() -> None:
        try:
            send_immediate(pks)
        except Exception:
            logger.warning("notification email thread failed; the digest command retries", exc_info=True)
        finally:
            close_old_connections()
            connection.close()

    Thread(target=run, name="notification-email", daemon=True).start()
