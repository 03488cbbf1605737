# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
"""Web Push: subscribing, what a push carries (decrypted as the device would), expiry, retries, switches."""

import json

import pytest
from django.core.management import call_command
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from py_vapid import Vapid

from accounts.models import User
from discussions.models import Visibility
from notifications.models import Notification, NotificationPreference, PushSubscription
from notifications.preferences import preference_set
from notifications.push import (
    MAX_DEVICES,
    PushFailed,
    SubscriptionInfo,
    push_subscribe,
    send_push,
    vapid_key_pair,
)
from notifications.services import notify_crisis_alert, notify_reply_created
from tests.helpers.discovery import discovery_urls, make_community, make_discussion, make_reply  # noqa: F401
from tests.helpers.push import PushService, b64url

pytestmark = pytest.mark.django_db
Kind = Notification.Kind
ANDROID_FIREFOX = "Mozilla/5.0 (Android 14; Mobile; rv:130.0) Gecko/130.0 Firefox/130.0"


@pytest.fixture(autouse=True)
def vapid(settings, discovery_urls):
    public, private = vapid_key_pair()
    settings.VAPID_PUBLIC_KEY = public
    settings.VAPID_PRIVATE_KEY = private
    settings.VAPID_SUBJECT = "mailto:ops@spoonful.example"
    settings.PUSH_ALLOW_LOCALHOST = True
    return public


@pytest.fixture
def push_service():
    with PushService() as service:
        yield service


@pytest.fixture
def mecfs(member, other_member):
    return make_community("mecfs", members=(member, other_member))


@pytest.fixture
def thread(member, mecfs):
    return make_discussion(
        member,
        "Titlecanary crash after walking",
        "Bodycanary text",
        visibility=Visibility.COMMUNITY,
        communities=(mecfs,),
    )


def subscribe(user, device) -> PushSubscription:
    keys = device.as_json()["keys"]
    info = SubscriptionInfo(endpoint=device.endpoint, p256dh=keys["p256dh"], auth=keys["auth"])
    return push_subscribe(user=user, info=info, user_agent=ANDROID_FIREFOX)


def reply_and_notify(thread, author, capture, body="Replycanary I also crash after walking"):
    reply = make_reply(thread, author, body)
    with capture(execute=True):
        notify_reply_created(reply.pk)
    return reply


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


# --- What a push carries -----------------------------------------------------------------


def test_a_reply_is_pushed_to_the_device_with_no_private_text(
    thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    device = push_service.device("alice-phone")
    subscription = subscribe(member, device)

    reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)

    [received] = push_service.to(device)
    notification = Notification.objects.get(recipient=member)
    payload = device.decrypt(received.body)
    assert payload == {
        "title": "Spoonful",
        "body": "New reply to your discussion",
        "url": f"/notifications/{notification.pk}/",
        "tag": f"notification-{notification.pk}",
    }
    text = json.dumps(payload)
    for private in ("canary", "Carol", "carol", "crash", "mecfs"):
        assert private not in text
    assert b"canary" not in received.body, "the body on the wire is encrypted"
    assert received.headers["content-encoding"] == "aes128gcm"
    assert received.headers["authorization"].startswith("vapid t=")
    assert int(received.headers["ttl"]) > 0
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None


def test_the_push_link_opens_the_notification_for_its_member(
    thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    device = push_service.device("alice-phone")
    subscribe(member, device)
    reply = reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)

    url = device.decrypt(push_service.to(device)[0].body)["url"]

    response = signed_in(member).get(url)
    assert response.status_code == 302
    assert response.url.endswith(f"#reply-{reply.number}")
    assert signed_in(other_member).get(url).status_code == 404


def test_every_enabled_device_gets_it_and_a_switched_off_one_does_not(
    thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    phone, laptop, tablet = (push_service.device(name) for name in ("phone", "laptop", "tablet"))
    subscribe(member, phone)
    subscribe(member, laptop)
    off = subscribe(member, tablet)
    off.enabled = False
    off.save()

    reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)

    assert len(push_service.to(phone)) == 1
    assert len(push_service.to(laptop)) == 1
    assert push_service.to(tablet) == []


def test_a_second_run_of_the_job_pushes_nothing_again(
    thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    device = push_service.device("phone")
    subscribe(member, device)
    reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)
    notification = Notification.objects.get(recipient=member)

    assert send_push([notification.pk]) == 0

    assert len(push_service.to(device)) == 1


def test_a_kind_switched_off_in_the_app_is_not_pushed(
    thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    device = push_service.device("phone")
    subscribe(member, device)
    preference_set(user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=False, email=NotificationPreference.Email.DIGEST)

    reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)

    assert Notification.objects.get(recipient=member).in_app is False
    assert push_service.received == []


def test_a_member_who_can_no_longer_read_the_discussion_gets_no_push(thread, member, other_member, mecfs, push_service):
    device = push_service.device("carol-phone")
    subscribe(other_member, device)
    reply = make_reply(thread, member, "Replycanary")
    notification = Notification.objects.create(
        recipient=other_member, kind=Kind.MENTION, discussion=thread, reply=reply
    )
    mecfs.memberships.filter(user=other_member).delete()

    assert send_push([notification.pk]) == 0

    assert push_service.received == []


# --- Expiry and retries --------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_forgot_is_deleted(
    status, thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    gone, kept = push_service.device("gone"), push_service.device("kept")
    subscribe(member, gone)
    subscribe(member, kept)
    push_service.statuses["/push/gone"] = status

    reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)

    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept.endpoint]
    assert len(push_service.to(kept)) == 1


def test_another_failure_raises_so_the_job_is_retried(thread, member, other_member, push_service):
    device = push_service.device("phone")
    subscribe(member, device)
    reply = make_reply(thread, other_member, "Replycanary")
    notify_reply_created(reply.pk)  # the push job waits for a commit that never comes in this test
    notification = Notification.objects.get(recipient=member)
    push_service.statuses["/push/phone"] = 503

    with pytest.raises(PushFailed):
        send_push([notification.pk])

    notification.refresh_from_db()
    assert notification.push_claimed_at is None, "taken back for the retry"
    assert PushSubscription.objects.filter(endpoint=device.endpoint).exists()
    push_service.statuses.clear()
    assert send_push([notification.pk]) == 1
    assert len(push_service.to(device)) == 2


def test_a_redirect_is_not_followed(thread, member, other_member, push_service):
    device = push_service.device("phone")
    subscribe(member, device)
    reply = make_reply(thread, other_member, "Replycanary")
    notify_reply_created(reply.pk)
    push_service.statuses["/push/phone"] = 307

    with pytest.raises(PushFailed):
        send_push([Notification.objects.get(recipient=member).pk])

    assert [request.path for request in push_service.received] == ["/push/phone"]


def test_nothing_is_queued_or_sent_when_push_is_not_configured(
    settings, thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    subscribe(member, push_service.device("phone"))

    def push_jobs_queued() -> int:
        with django_capture_on_commit_callbacks() as callbacks:
            notify_reply_created(make_reply(thread, other_member, "Replycanary").pk)
        return len([call for call in callbacks if getattr(call, "func", None) is send_push])

    assert push_jobs_queued() == 1
    settings.VAPID_PRIVATE_KEY = ""
    assert push_jobs_queued() == 0
    assert send_push(list(Notification.objects.values_list("pk", flat=True))) == 0
    assert push_service.received == []


# --- Subscribing ---------------------------------------------------------------------------


def csrf_client(user) -> tuple[Client, str]:
    client = signed_in(user, enforce_csrf_checks=True)
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return client, token


def post_json(client, url: str, data, token: str | None = None, **headers):
    body = data if isinstance(data, bytes | str) else json.dumps(data)
    if token:
        headers["HTTP_X_CSRFTOKEN"] = token
    return client.post(url, body, content_type="application/json", **headers)


def test_a_browser_subscribes_with_the_csrf_token(member, push_service):
    client, token = csrf_client(member)
    device = push_service.device("phone")

    response = post_json(
        client, "/notifications/push/subscribe/", device.as_json(), token, HTTP_USER_AGENT=ANDROID_FIREFOX
    )

    assert response.status_code == 201
    subscription = PushSubscription.objects.get(user=member)
    assert subscription.endpoint == device.endpoint
    assert subscription.label == "Firefox on Android"
    assert subscription.enabled


def test_subscribing_without_the_csrf_token_is_refused(member, push_service):
    client, _ = csrf_client(member)

    response = post_json(client, "/notifications/push/subscribe/", push_service.device("phone").as_json())

    assert response.status_code == 403
    assert not PushSubscription.objects.exists()


def test_subscribing_needs_a_signed_in_member(client, push_service):
    response = post_json(client, "/notifications/push/subscribe/", push_service.device("phone").as_json())
    assert response.status_code == 302
    assert not PushSubscription.objects.exists()


def _with(data: dict, **changes) -> dict:
    data = json.loads(json.dumps(data))
    for path, value in changes.items():
        if path in ("p256dh", "auth"):
            data["keys"][path] = value
        else:
            data[path] = value
    return data


GOOD = {
    "endpoint": "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
    "keys": {"p256dh": "", "auth": b64url(b"0123456789abcdef")},
}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "JSON"),
        (b"[]", "endpoint and keys"),
        (_with(GOOD, endpoint=None), "endpoint is missing"),
        (_with(GOOD, endpoint="http://updates.push.services.mozilla.com/x"), "https://"),
        (_with(GOOD, endpoint="https://push.evil.example/x"), "not a push service"),
        (_with(GOOD, endpoint="https://fcm.googleapis.com.evil.example/x"), "not a push service"),
        (_with(GOOD, endpoint="https://10.0.0.1/x"), "IP address"),
        (_with(GOOD, endpoint="https://user:pw@fcm.googleapis.com/x"), "user name"),
        (_with(GOOD, endpoint="https://fcm.googleapis.com/" + "x" * 1100), "longer than"),
        (_with(GOOD, p256dh="AAAA"), "p256dh"),
        (_with(GOOD, p256dh="not base64 !"), "p256dh"),
        (_with(GOOD, auth="c2hvcnQ"), "auth"),
        (json.dumps(_with(GOOD, pad="x" * 5000)).encode(), "at most"),
    ],
)
def test_an_unusable_subscription_is_refused_with_a_reason(body, reason, member, push_service):
    device = push_service.device("phone")
    if isinstance(body, dict) and body["keys"]["p256dh"] == "":
        body["keys"]["p256dh"] = device.p256dh
    response = post_json(signed_in(member), "/notifications/push/subscribe/", body)

    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_a_real_push_service_endpoint_is_accepted(member, push_service):
    data = _with(GOOD, p256dh=push_service.device("x").p256dh)
    response = post_json(signed_in(member), "/notifications/push/subscribe/", data)
    assert response.status_code == 201


def test_localhost_endpoints_are_refused_outside_debug_and_tests(settings, member, push_service):
    settings.PUSH_ALLOW_LOCALHOST = False
    response = post_json(signed_in(member), "/notifications/push/subscribe/", push_service.device("x").as_json())
    assert response.status_code == 400


def test_subscribing_is_refused_when_push_is_off(settings, member, push_service):
    settings.VAPID_PUBLIC_KEY = ""
    response = post_json(signed_in(member), "/notifications/push/subscribe/", push_service.device("x").as_json())
    assert response.status_code == 400
    assert "off" in response.json()["error"]


def test_a_browser_moves_to_the_member_who_subscribed_last(member, other_member, push_service):
    device = push_service.device("shared-tablet")
    subscribe(member, device)

    subscribe(other_member, device)

    assert list(PushSubscription.objects.values_list("user", flat=True)) == [other_member.pk]


def test_devices_are_capped(member, push_service):
    for number in range(MAX_DEVICES):
        subscribe(member, push_service.device(f"d{number}"))

    response = post_json(signed_in(member), "/notifications/push/subscribe/", push_service.device("one-more").as_json())

    assert response.status_code == 400
    assert "remove one first" in response.json()["error"]


def test_the_browser_unsubscribes_by_endpoint(member, other_member, push_service):
    mine, theirs = push_service.device("mine"), push_service.device("theirs")
    subscribe(member, mine)
    subscribe(other_member, theirs)

    response = post_json(signed_in(member), "/notifications/push/unsubscribe/", {"endpoint": theirs.endpoint})
    assert response.json() == {"removed": 0}
    response = post_json(signed_in(member), "/notifications/push/unsubscribe/", {"endpoint": mine.endpoint})
    assert response.json() == {"removed": 1}
    assert post_json(signed_in(member), "/notifications/push/unsubscribe/", b"{").status_code == 400

    assert list(PushSubscription.objects.values_list("user", flat=True)) == [other_member.pk]


# --- The settings page: devices on and off --------------------------------------------------


def test_the_settings_page_lists_devices_and_switches_each(member, other_member, push_service, vapid):
    device = subscribe(member, push_service.device("phone"))
    theirs = subscribe(other_member, push_service.device("theirs"))
    client = signed_in(member)

    page = client.get("/notifications/settings/").content.decode()
    assert "Firefox on Android" in page
    assert f'data-vapid-key="{vapid}"' in page
    assert "js/push.js" in page

    assert client.post(f"/notifications/push/{device.pk}/", {"enabled": "off"}).status_code == 302
    device.refresh_from_db()
    assert device.enabled is False
    client.post(f"/notifications/push/{device.pk}/", {"enabled": "on"})
    device.refresh_from_db()
    assert device.enabled is True
    assert client.post(f"/notifications/push/{device.pk}/", {"enabled": "maybe"}).status_code == 400
    assert client.post(f"/notifications/push/{theirs.pk}/", {"enabled": "off"}).status_code == 404
    assert client.post(f"/notifications/push/{theirs.pk}/", {"remove": "1"}).status_code == 404
    assert client.post(f"/notifications/push/{device.pk}/", {"remove": "1"}).status_code == 302
    assert list(PushSubscription.objects.all()) == [theirs]


def test_the_settings_page_says_when_push_is_off(settings, member):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = settings.VAPID_SUBJECT = ""

    page = signed_in(member).get("/notifications/settings/").content.decode()

    assert "Push notifications are off on this site" in page
    assert "js/push.js" not in page


def test_vapid_keys_prints_a_usable_pair(capsys):
    call_command("vapid_keys")

    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    vapid = Vapid.from_string(lines["VAPID_PRIVATE_KEY"])
    assert b64url(vapid.public_key.public_bytes(*_uncompressed())) == lines["VAPID_PUBLIC_KEY"]


def _uncompressed():
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint


def test_the_data_export_lists_devices_without_their_endpoints(member, push_service):
    from accounts.data_export import data_export_contents
    from notifications.quiet_hours import quiet_hours_set

    device = push_service.device("phone")
    subscribe(member, device)
    quiet_hours_set(user=member, start_hour=22, end_hour=7)

    archive = data_export_contents(member)

    assert [entry["label"] for entry in archive["push_devices"]] == ["Firefox on Android"]
    assert archive["quiet_hours"] == {"from_hour": 22, "until_hour": 7}
    assert device.endpoint not in json.dumps(archive, default=str)


def test_the_deploy_check_warns_on_half_a_vapid_configuration(settings):
    from spoonful.checks import _vapid_problems

    assert _vapid_problems() == []
    settings.VAPID_SUBJECT = "ops@spoonful.example"
    assert [problem.id for problem in _vapid_problems()] == ["spoonful.W004"]
    settings.VAPID_SUBJECT = "mailto:ops@spoonful.example"
    settings.VAPID_PUBLIC_KEY = vapid_key_pair()[0]
    assert "not the public half" in _vapid_problems()[0].msg
    settings.VAPID_PRIVATE_KEY = "not-a-key"
    assert "not a key" in _vapid_problems()[0].msg
    settings.VAPID_PRIVATE_KEY = ""
    assert "or none" in _vapid_problems()[0].msg
    settings.VAPID_PUBLIC_KEY = settings.VAPID_SUBJECT = ""
    assert _vapid_problems() == []


def test_a_member_in_low_energy_mode_gets_no_push_but_a_crisis_alert(
    thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    device = push_service.device("alice-phone")
    subscribe(member, device)
    User.objects.filter(pk=member.pk).update(low_energy=True)

    reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)
    assert push_service.to(device) == []
    assert Notification.objects.filter(recipient=member).exists(), "the news waits in the app"

    with django_capture_on_commit_callbacks(execute=True):
        notify_crisis_alert(recipient_ids=[member.pk])
    [received] = push_service.to(device)
    assert device.decrypt(received.body)["body"] != "New reply to your discussion"
