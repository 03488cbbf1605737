"""Notification emails: immediate ones, the daily digest, and one-click unsubscribe links.

Email never runs in the request: immediate emails go out on a short-lived daemon thread
(``send_soon``), and ``manage.py send_notification_digests`` (run by a scheduler) sends
the daily digests and anything the thread did not finish. Each notification moves
IMMEDIATE/DIGEST -> SENDING -> SENT exactly once, so no email is sent twice. Emails
re-check access at send time; an email about a post that is not public carries neither
its title nor its text.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from threading import Thread

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import close_old_connections, connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import is_moderator_anywhere
from discussions.models import Discussion, Reply
from discussions.selectors import can_see_discussion
from notifications.models import Notification, NotificationPreference
from notifications.preferences import ALWAYS_ON, preferences_for

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Email = NotificationPreference.Email

# The module's old path, kept: links already in inboxes are signed with it.
UNSUBSCRIBE_SALT = "discussions.notifications.unsubscribe"

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
    anonymous = about is not None and about.is_anonymous
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
    actor_name = ""
    if public and not anonymous and notification.actor is not None:
        actor_name = notification.actor.public_name
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


def send_soon(pks: list[int]) -> None:
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
