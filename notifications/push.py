"""Web Push: members' browsers that receive pushes, and the job that sends them.

A browser subscribes with the site's VAPID public key (``static/js/push.js``) and posts what its PushManager
gave it to ``/notifications/push/subscribe/``; ``push_subscription_from_json`` checks it before it is stored.
``_create`` (notifications.services) queues ``send_push`` with the notifications it writes, in the same
transaction. The job pushes each one to the member's enabled devices, once, with a payload that carries no
private text: what kind of thing happened and where to read it, never a title, a name or a word of a post.
The service worker (``/sw.js``) shows it::

    {"title": "Spoonful", "body": "New reply to your discussion", "url": "/notifications/42/",
     "tag": "notification-42"}

A push service's 404 or 410 means the browser dropped the subscription: the row is deleted. Any other failure
raises, so the job is tried again; devices that already had the push get it again, and the ``tag`` folds the two
into one notification on screen. With the VAPID settings unset push is off: nothing is queued or sent.
"""

import base64
import binascii
import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from accounts.models import User
from accounts.selectors import low_energy_member_ids
from notifications.models import Notification, PushSubscription
from notifications.preferences import ALWAYS_ON
from notifications.quiet_hours import must_wait
from notifications.selectors import notification_list_visible_to

logger = logging.getLogger(__name__)

Kind = Notification.Kind

# What is pushed, and the only words a push carries about it.
PUSH_TEXT = {
    Kind.REPLY_TO_DISCUSSION: "New reply to your discussion",
    Kind.REPLY_TO_REPLY: "Someone answered your reply",
    Kind.MENTION: "You were mentioned in a discussion",
    Kind.CRISIS_ALERT: "A crisis alert waits in your moderation queue",
    Kind.CRISIS_ESCALATION: "A crisis alert has waited with nobody on it",
    Kind.PRIVATE_MESSAGE: "You have a new private message",
    Kind.MESSAGE_REPORT: "A member needs staff",
}
PUSH_KINDS = frozenset(PUSH_TEXT)
PUSH_TITLE = "Spoonful"

MAX_SUBSCRIPTION_BYTES = 4096
MAX_ENDPOINT_LENGTH = 1024
MAX_DEVICES = 20
# A push waits this long at the push service for a device that is off; a day-old nudge is stale.
PUSH_TTL_SECONDS = 12 * 60 * 60
PUSH_TIMEOUT_SECONDS = 10
GONE = (404, 410)
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


def push_configured() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY and settings.VAPID_SUBJECT)


def vapid_key_pair() -> tuple[str, str]:
    """A fresh VAPID pair as (public, private): base64url, the raw forms browsers and pywebpush take."""
    vapid = Vapid()
    vapid.generate_keys()
    public = vapid.public_key.public_bytes(
        encoding=serialization.Encoding.X962, format=serialization.PublicFormat.UncompressedPoint
    )
    private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(public), _b64url(private)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes | None:
    if not BASE64URL.match(text):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


# --- Subscribing ------------------------------------------------------------------------


class InvalidSubscription(ValueError):
    """What a browser sent is not a push subscription this site will use; the message says why."""


@dataclass(frozen=True)
class SubscriptionInfo:
    endpoint: str
    p256dh: str
    auth: str


def push_subscription_from_json(body: bytes) -> SubscriptionInfo:
    """Check what ``PushSubscription.toJSON()`` gave: size, an allowed push service, well-formed keys."""
    if len(body) > MAX_SUBSCRIPTION_BYTES:
        raise InvalidSubscription(f"A subscription is at most {MAX_SUBSCRIPTION_BYTES} bytes.")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise InvalidSubscription("Send the subscription as JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise InvalidSubscription("A subscription has an endpoint and keys.")
    endpoint, keys = data.get("endpoint"), data["keys"]
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidSubscription("The endpoint is missing.")
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise InvalidSubscription(f"The endpoint is longer than {MAX_ENDPOINT_LENGTH} characters.")
    endpoint_refusal(endpoint)
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    key = _b64url_decode(p256dh) if isinstance(p256dh, str) else None
    if key is None or len(key) != 65 or key[0] != 4:
        raise InvalidSubscription("keys.p256dh is not a P-256 public key (65 bytes, base64url).")
    secret = _b64url_decode(auth) if isinstance(auth, str) else None
    if secret is None or len(secret) != 16:
        raise InvalidSubscription("keys.auth is not a 16-byte secret (base64url).")
    return SubscriptionInfo(endpoint=endpoint, p256dh=p256dh.rstrip("="), auth=auth.rstrip("="))


def endpoint_refusal(endpoint: str) -> None:
    """Raise unless the workers may POST to this endpoint: https on a known push service (``PUSH_SERVICE_HOSTS``),
    or http(s) on this machine where ``PUSH_ALLOW_LOCALHOST`` (DEBUG, tests). No made-up addresses."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise InvalidSubscription("The endpoint is not a URL.") from None
    if parts.username or parts.password:
        raise InvalidSubscription("The endpoint may not carry a user name or password.")
    if host in LOCAL_HOSTS and settings.PUSH_ALLOW_LOCALHOST and parts.scheme in ("http", "https"):
        return
    if parts.scheme != "https" or not host:
        raise InvalidSubscription("The endpoint must be an https:// address.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise InvalidSubscription("The endpoint must name a push service, not an IP address.")
    if not any(host == allowed or host.endswith("." + allowed) for allowed in settings.PUSH_SERVICE_HOSTS):
        raise InvalidSubscription("The endpoint is not a push service this site sends to.")


def device_label(user_agent: str) -> str:
    """ "Firefox on Android": enough for a member to tell their devices apart, nothing more of the User-Agent."""
    browsers = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("OPR/", "Opera"), ("Chrome/", "Chrome"))
    browser = next((name for token, name in browsers if token in user_agent), None)
    if browser is None and "Safari/" in user_agent:
        browser = "Safari"
    systems = (
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    )
    system = next((name for token, name in systems if token in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "A browser"


class TooManyDevices(Exception):
    pass


def push_subscribe(*, user: User, info: SubscriptionInfo, user_agent: str) -> PushSubscription:
    """Store a browser's subscription for this member. The same endpoint again (a renewed key, another member
    signed in on that browser) updates the one row: a browser receives pushes for one member at a time."""
    mine = PushSubscription.objects.filter(user=user)
    if not mine.filter(endpoint=info.endpoint).exists() and mine.count() >= MAX_DEVICES:
        raise TooManyDevices(f"You already receive push notifications on {MAX_DEVICES} devices: remove one first.")
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=info.endpoint,
        defaults={
            "user": user,
            "p256dh": info.p256dh,
            "auth": info.auth,
            "label": device_label(user_agent)[:60],
            "enabled": True,
        },
    )
    return subscription


def push_unsubscribe(*, user: User, endpoint: str) -> int:
    """Forget the member's subscription for this endpoint (the browser unsubscribed). Returns how many went."""
    return PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()[0]


def push_device_set(*, user: User, pk: int, enabled: bool) -> int:
    return PushSubscription.objects.filter(user=user, pk=pk).update(enabled=enabled)


def push_device_remove(*, user: User, pk: int) -> int:
    return PushSubscription.objects.filter(user=user, pk=pk).delete()[0]


def push_device_list(user: User) -> list[PushSubscription]:
    return list(PushSubscription.objects.filter(user=user))


def push_wanted(notifications: list[Notification]) -> list[int]:
    """Of new notifications, those a push job should take: a kind that pushes, shown in the app (the member's
    per-kind choice), and a member with a device switched on. A member in low-energy mode gets no push but a
    duty (a crisis alert): their news waits in the app and the digest. Two queries; none when push is off."""
    candidates = [row for row in notifications if row.in_app and row.kind in PUSH_KINDS]
    if not candidates or not push_configured():
        return []
    resting = low_energy_member_ids(row.recipient_id for row in candidates if row.kind not in ALWAYS_ON)
    candidates = [row for row in candidates if row.recipient_id not in resting or row.kind in ALWAYS_ON]
    if not candidates:
        return []
    with_devices = set(
        PushSubscription.objects.filter(user_id__in={row.recipient_id for row in candidates}, enabled=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return [row.pk for row in candidates if row.recipient_id in with_devices]


# --- Sending ---------------------------------------------------------------------------


class PushFailed(Exception):
    """Some pushes were not accepted by their push service; the job is tried again later."""


def push_payload(notification: Notification) -> dict:
    """What a device is told: the kind of news and the notification's own link, nothing from the post."""
    return {
        "title": PUSH_TITLE,
        "body": PUSH_TEXT[notification.kind],
        "url": reverse("notifications:open", kwargs={"pk": notification.pk}),
        "tag": f"notification-{notification.pk}",
    }


def _claim(pk: int) -> bool:
    return bool(Notification.objects.filter(pk=pk, push_claimed_at__isnull=True).update(push_claimed_at=timezone.now()))


def _still_readable(notification: Notification) -> bool:
    return notification_list_visible_to(notification.recipient).filter(pk=notification.pk).exists()


def send_push(pks: list[int]) -> int:
    """A job: push each of these notifications to its member's enabled devices, once. Returns pushes accepted.

    Skipped, and not sent later: a member in their quiet hours (the bell and the list keep it; a pile of stale
    pushes in the morning is what quiet hours spare them), a kind switched off in the app, a post they may no
    longer read. The crisis exception of ``notifications.quiet_hours`` gets through.
    """
    if not push_configured():
        return 0
    vapid = Vapid.from_string(settings.VAPID_PRIVATE_KEY)
    accepted = 0
    failed: list[int] = []
    with requests.Session() as session:
        # A push service answers; it never sends the workers on to another address.
        session.max_redirects = 0
        for pk in pks:
            if not _claim(pk):
                continue
            notification = (
                Notification.objects.select_related("recipient", "reply__discussion", "reply__author")
                .filter(pk=pk)
                .first()
            )
            if notification is None or not _pushable(notification):
                continue
            devices = PushSubscription.objects.filter(user_id=notification.recipient_id, enabled=True)
            data = json.dumps(push_payload(notification))
            results = [_push_one(session, vapid, device, data) for device in devices]
            accepted += results.count(True)
            if None in results:
                failed.append(pk)
    if failed:
        # Taken back, so the retry pushes them again.
        Notification.objects.filter(pk__in=failed).update(push_claimed_at=None)
        raise PushFailed(f"{len(failed)} of {len(pks)} notifications were not accepted by every push service")
    return accepted


def _pushable(notification: Notification) -> bool:
    if notification.kind not in PUSH_KINDS or not notification.in_app:
        return False
    if not notification.recipient.is_active:
        return False
    if must_wait(notification):
        return False
    return _still_readable(notification)


def _push_one(session: requests.Session, vapid: Vapid, device: PushSubscription, data: str) -> bool | None:
    """True when the push service took it; False when the subscription is gone (deleted); None to retry."""
    try:
        webpush(
            device.as_subscription_info(),
            data=data,
            vapid_private_key=vapid,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=PUSH_TTL_SECONDS,
            timeout=PUSH_TIMEOUT_SECONDS,
            requests_session=session,
        )
    except WebPushException as error:
        if error.status_code in GONE:
            PushSubscription.objects.filter(pk=device.pk).delete()
            return False
        logger.warning("push to device %s was refused: %s", device.pk, error.status_code)
        return None
    except requests.RequestException as error:
        logger.warning("push to device %s failed: %s", device.pk, type(error).__name__)
        return None
    PushSubscription.objects.filter(pk=device.pk).update(last_success_at=timezone.now())
    return True
