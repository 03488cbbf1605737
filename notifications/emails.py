"""Notification emails: immediate ones, the daily digest, and one-click unsubscribe links.

Email never runs in the request. ``send_immediate`` is a job (``spoonful.jobs``) queued
with the notifications it sends; ``send_digests`` runs every hour (``spoonful.schedules``)
and sends each member's digest once a day, at the hour they chose in their time zone.
Each notification moves IMMEDIATE/DIGEST -> SENDING -> SENT once, so a job that runs
twice sends nothing twice. A worker that dies between sending and recording may send
one email again; it carries the same Message-ID, which mail clients fold into one.
During a member's quiet hours immediate emails are HELD and digests wait
(``notifications.quiet_hours``); ``send_held`` runs every quarter hour and sends what is due.
Emails re-check access at send time; an email about a post that is not public carries
neither its title nor its text.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import is_moderator_anywhere
from discussions.models import Discussion, Reply
from discussions.presenters import author_label
from discussions.selectors import can_see_discussion
from notifications.models import DigestTime, Notification, NotificationPreference
from notifications.preferences import ALWAYS_ON, digest_time_for, preferences_for
from notifications.quiet_hours import is_quiet_now, must_wait

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
    Kind.ROLE_CHANGE: "A change to your role as a moderator",
    Kind.CRISIS_ESCALATION: "A crisis alert has waited with nobody on it",
    Kind.VERIFICATION_APPLICATION: "A new professional verification application",
    Kind.APPEAL_RECEIVED: "An appeal waits for a moderator",
    Kind.QUEUE_WAITING: "A moderation queue has waited too long",
    Kind.PRIVATE_MESSAGE: "You have a private message",
    Kind.MESSAGE_REPORT: "A member needs staff: a reported message or a request to check in",
}
# Alerts about work for moderators or staff: they name no post, member or community (a
# condition hashtag is health data); the email links to the page where the work waits.
WORK_ALERT_KINDS = frozenset(
    {Kind.CRISIS_ALERT, Kind.CRISIS_ESCALATION, Kind.VERIFICATION_APPLICATION, Kind.APPEAL_RECEIVED, Kind.QUEUE_WAITING}
)
# An inbox can be read over a shoulder: a private message's email says neither who wrote nor what.
PRIVATE_MESSAGE_EMAIL = "Someone sent you a private message on Spoonful. Sign in to read it."
# Nor does staff's: who reported or asked for a check-in is for the signed-in page.
MESSAGE_REPORT_EMAIL = "A member needs staff: a reported private message or a request to check in. Sign in to see it."


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
    if notification.kind in WORK_ALERT_KINDS:
        # Someone who stopped moderating since has nothing to act on.
        if not is_moderator_anywhere(recipient):
            return None
        # Straight to the page where the work waits; nothing about the post or person itself.
        return EmailItem(
            kind=notification.kind,
            kind_label=Kind(notification.kind).label,
            headline=SUBJECTS[notification.kind],
            title="",
            actor_name="",
            link=absolute(notification.url or reverse("moderation:queue")),
            message=notification.message,
        )
    if notification.kind == Kind.MESSAGE_REPORT and not recipient.is_staff:
        return None
    if notification.kind in (Kind.PRIVATE_MESSAGE, Kind.MESSAGE_REPORT):
        return EmailItem(
            kind=notification.kind,
            kind_label=Kind(notification.kind).label,
            headline=SUBJECTS[notification.kind],
            title="",
            actor_name="",
            link=absolute(reverse("notifications:open", kwargs={"pk": notification.pk})),
            message=PRIVATE_MESSAGE_EMAIL if notification.kind == Kind.PRIVATE_MESSAGE else MESSAGE_REPORT_EMAIL,
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


class DeliveryFailed(Exception):
    """Some emails could not be handed to the mail server; the job is tried again later."""


def _message_id(what: str) -> str:
    """The same id every time the same email is sent, so a rare resend is folded by mail clients."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{what}@{host}>"


def _deliver(user: User, subject: str, context: dict, kinds: Iterable[str], template: str, *, message_id: str) -> None:
    kinds = list(kinds)
    # An always-on email offers no unsubscribe: the link could not keep its promise.
    unsubscribe = "" if set(kinds) <= ALWAYS_ON else _unsubscribe_url(user, kinds)
    context = {**context, "user": user, "unsubscribe_url": unsubscribe, "site_url": settings.SITE_URL}
    text = render_to_string(f"email/{template}.txt", context)
    html = render_to_string(f"email/{template}.html", context)
    headers = {"Message-ID": message_id}
    if unsubscribe:
        headers |= {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    message = EmailMultiAlternatives(subject=_clean_subject(subject), body=text, to=[user.email], headers=headers)
    message.attach_alternative(html, "text/html")
    message.send()


# Longer than a job may run (Q_CLUSTER timeout): a claim this old belongs to a worker that died.
CLAIM_LEASE = timedelta(minutes=15)


def _claim(pks: Iterable[int], claimable: Q) -> list[Notification]:
    """Move rows to SENDING one by one; only the run whose update counted may send them."""
    claimed = []
    now = timezone.now()
    for pk in pks:
        if (
            Notification.objects.filter(claimable, pk=pk)
            .exclude(email_status=Notification.EmailStatus.SENDING, email_claimed_at__gte=now - CLAIM_LEASE)
            .update(email_status=Notification.EmailStatus.SENDING, email_claimed_at=now)
        ):
            claimed.append(pk)
    return list(Notification.objects.filter(pk__in=claimed).select_related("recipient", "discussion", "reply", "actor"))


def _waiting(status: str) -> Q:
    """Rows waiting in ``status``, or stuck in SENDING by a run that died (older than the lease)."""
    return Q(email_status=status) | Q(
        email_status=Notification.EmailStatus.SENDING, email_claimed_at__lt=timezone.now() - CLAIM_LEASE
    )


def _finish(rows: list[Notification], status: str) -> None:
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
        email_status=status, emailed_at=timezone.now() if status == Notification.EmailStatus.SENT else None
    )


def _email_still_wanted(notification: Notification, mode: str) -> bool:
    recipient = notification.recipient
    if not (recipient.is_active and recipient.email):
        return False
    chosen = preferences_for([recipient.pk], notification.kind)[recipient.pk].email
    if mode == Email.DIGEST:
        # "Straight away" waits for the digest while low-energy mode gathers it there
        # (notifications.services); any wish for email still counts then.
        return chosen in (Email.DIGEST, Email.IMMEDIATE)
    return chosen == mode


def send_immediate(pks: list[int]) -> int:
    """A job: email each of these notifications now, once. Returns how many emails went out.

    A run that died after claiming left its rows in SENDING; this job's next attempt is
    the only run that holds these ids, so it takes them back at once. A row whose member
    is in their quiet hours is HELD instead (unless it breaks them): ``send_held`` sends it
    once the hours end.
    """
    retaken = Q(email_status=Notification.EmailStatus.IMMEDIATE) | Q(email_status=Notification.EmailStatus.SENDING)
    return _send_each(_claim(pks, retaken & Q(pk__in=pks)) if pks else [], hold_when_quiet=True)


def send_held(now: datetime | None = None) -> int:
    """Run every quarter hour: email what waited for its member's quiet hours to end. Returns how many went out."""
    now = now or timezone.now()
    held = Notification.objects.filter(_waiting(Notification.EmailStatus.HELD)).select_related("reply__discussion")
    due = [row.pk for row in held.order_by("pk") if not must_wait(row, now)]
    return _send_each(_claim(due, _waiting(Notification.EmailStatus.HELD)), hold_when_quiet=False)


def _send_each(rows: list[Notification], *, hold_when_quiet: bool) -> int:
    sent = 0
    failed = []
    for notification in rows:
        if hold_when_quiet and must_wait(notification):
            _finish([notification], Notification.EmailStatus.HELD)
            continue
        item = email_item(notification) if _email_still_wanted(notification, Email.IMMEDIATE) else None
        if item is None:
            _finish([notification], Notification.EmailStatus.SKIPPED)
            continue
        try:
            _deliver(
                notification.recipient,
                item.headline,
                {"item": item},
                [notification.kind],
                "notification",
                message_id=_message_id(f"notification-{notification.pk}"),
            )
        except Exception:
            # Logged without content; the job's next attempt tries again.
            logger.warning("notification email %s could not be sent", notification.pk, exc_info=True)
            _finish(
                [notification], Notification.EmailStatus.IMMEDIATE if hold_when_quiet else Notification.EmailStatus.HELD
            )
            failed.append(notification.pk)
            continue
        _finish([notification], Notification.EmailStatus.SENT)
        sent += 1
    if failed:
        raise DeliveryFailed(f"{len(failed)} of {len(rows)} notification emails were not accepted")
    return sent


def _local_now(time_zone: str, now: datetime) -> datetime:
    try:
        return now.astimezone(ZoneInfo(time_zone))
    except (KeyError, ValueError):
        return now.astimezone(ZoneInfo("UTC"))


def _take_todays_digest(user_id: int, now: datetime) -> date | None:
    """The member's local date if their digest is due and this run may send it (one run a day
    wins, whichever worker), else None. Returns the date the claim replaced, for a failed send."""
    chosen = digest_time_for(user_id)
    local = _local_now(chosen.time_zone, now)
    if local.hour < chosen.hour:
        return None
    DigestTime.objects.get_or_create(user_id=user_id, defaults={"hour": chosen.hour, "time_zone": chosen.time_zone})
    taken = (
        DigestTime.objects.filter(user_id=user_id)
        .filter(Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=local.date()))
        .update(last_sent_on=local.date())
    )
    return local.date() if taken else None


def send_digests(now: datetime | None = None) -> int:
    """Run every hour: each member whose chosen hour has come gets one email with everything
    waiting for the digest, at most once per local day. Returns how many digests went out."""
    now = now or timezone.now()
    sent = 0
    failed = []
    waiting = (
        Notification.objects.filter(_waiting(Notification.EmailStatus.DIGEST))
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")
    )
    for recipient_id in list(waiting):
        # A digest due in the member's quiet hours goes out at the first run after them.
        if is_quiet_now(recipient_id, now):
            continue
        today = _take_todays_digest(recipient_id, now)
        if today is None:
            continue
        pks = Notification.objects.filter(_waiting(Notification.EmailStatus.DIGEST), recipient_id=recipient_id)
        rows = _claim(list(pks.values_list("pk", flat=True)), _waiting(Notification.EmailStatus.DIGEST))
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
            _deliver(
                user,
                subject,
                {"items": items, "kind_links": links},
                kinds,
                "digest",
                message_id=_message_id(f"digest-{recipient_id}-{today:%Y%m%d}"),
            )
        except Exception:
            logger.warning("digest for member %s could not be sent", recipient_id, exc_info=True)
            _finish(used, Notification.EmailStatus.DIGEST)
            DigestTime.objects.filter(user_id=recipient_id, last_sent_on=today).update(last_sent_on=None)
            failed.append(recipient_id)
            continue
        _finish(used, Notification.EmailStatus.SENT)
        sent += 1
    if failed:
        raise DeliveryFailed(f"{len(failed)} digest(s) were not accepted; {sent} went out")
    return sent
