# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
"""Quiet hours: push and email wait, digests wait, and the crisis exception gets through."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from community.models import Membership
from discussions.models import Visibility
from moderation.models import Flag
from notifications.emails import send_digests, send_held
from notifications.models import Notification, NotificationPreference, QuietHours
from notifications.preferences import digest_time_set, preference_set
from notifications.push import SubscriptionInfo, push_subscribe, vapid_key_pair
from notifications.quiet_hours import is_quiet_now, quiet_hours_for, quiet_hours_set
from notifications.services import notify_crisis_alert, notify_reply_created
from tests.helpers.discovery import discovery_urls, make_community, make_discussion, make_reply  # noqa: F401
from tests.helpers.push import PushService

pytestmark = pytest.mark.django_db
Kind = Notification.Kind
Email = NotificationPreference.Email
Status = Notification.EmailStatus


@pytest.fixture(autouse=True)
def _push_on(settings, discovery_urls):
    public, private = vapid_key_pair()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:ops@spoonful.example"
    settings.PUSH_ALLOW_LOCALHOST = True
    settings.SITE_URL = "https://spoonful.example"


@pytest.fixture
def push_service():
    with PushService() as service:
        yield service


@pytest.fixture
def mecfs(member, other_member, moderator):
    community = make_community("mecfs", members=(member, other_member))
    Membership.objects.create(user=moderator, community=community, role=Membership.Role.MODERATOR)
    return community


@pytest.fixture
def thread(member, mecfs):
    return make_discussion(member, "Titlecanary", "Bodycanary", visibility=Visibility.COMMUNITY, communities=(mecfs,))


def quiet_now(user) -> None:
    """Quiet hours around this very hour (UTC): quiet now and for the next hour too."""
    hour = timezone.now().hour
    digest_time_set(user=user, hour=0, time_zone="UTC")
    quiet_hours_set(user=user, start_hour=hour, end_hour=(hour + 2) % 24)


def wants_everything_now(user, device) -> None:
    for kind in (Kind.REPLY_TO_DISCUSSION, Kind.REPLY_TO_REPLY, Kind.MENTION):
        preference_set(user=user, kind=kind, in_app=True, email=Email.IMMEDIATE)
    keys = device.as_json()["keys"]
    info = SubscriptionInfo(endpoint=device.endpoint, p256dh=keys["p256dh"], auth=keys["auth"])
    push_subscribe(user=user, info=info, user_agent="")


def reply_and_notify(thread, author, capture):
    reply = make_reply(thread, author, "Replycanary words")
    with capture(execute=True):
        notify_reply_created(reply.pk)
    return Notification.objects.get(reply=reply)


def after_quiet_hours() -> datetime:
    return timezone.now() + timedelta(hours=3)


# --- The hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "quiet", "loud"),
    [(21, 9, [21, 23, 0, 8], [9, 12, 20]), (13, 15, [13, 14], [12, 15, 0]), (23, 0, [23], [0, 22])],
)
def test_quiet_hours_cover_their_hours_wrapping_past_midnight(start, end, quiet, loud):
    hours = QuietHours(start_hour=start, end_hour=end)
    assert all(hours.covers(hour) for hour in quiet)
    assert not any(hours.covers(hour) for hour in loud)


def test_quiet_hours_are_read_in_the_members_time_zone(member):
    digest_time_set(user=member, hour=8, time_zone="America/New_York")
    quiet_hours_set(user=member, start_hour=21, end_hour=9)
    new_york = ZoneInfo("America/New_York")

    assert is_quiet_now(member.pk, datetime(2026, 7, 1, 22, 30, tzinfo=new_york))
    assert is_quiet_now(member.pk, datetime(2026, 7, 2, 8, 59, tzinfo=new_york))
    assert not is_quiet_now(member.pk, datetime(2026, 7, 2, 9, 0, tzinfo=new_york))
    assert not is_quiet_now(member.pk, datetime(2026, 7, 2, 3, 0, tzinfo=ZoneInfo("Asia/Tokyo")))


def test_no_quiet_hours_is_never_quiet_and_bad_hours_are_refused(member):
    assert not is_quiet_now(member.pk)
    with pytest.raises(ValueError):
        quiet_hours_set(user=member, start_hour=9, end_hour=9)
    with pytest.raises(ValueError):
        quiet_hours_set(user=member, start_hour=9, end_hour=None)
    quiet_hours_set(user=member, start_hour=21, end_hour=9)
    quiet_hours_set(user=member, start_hour=None, end_hour=None)
    assert quiet_hours_for(member.pk) is None


# --- What waits ---------------------------------------------------------------------------


def test_during_quiet_hours_no_push_and_the_email_waits_until_they_end(
    thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    wants_everything_now(member, push_service.device("phone"))
    quiet_now(member)

    notification = reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)

    assert push_service.received == []
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.email_status == Status.HELD
    assert notification.in_app, "the bell and the list still show it"

    assert send_held() == 0, "still quiet"
    assert send_held(now=after_quiet_hours()) == 1
    assert [message.to for message in mail.outbox] == [[member.email]]
    assert send_held(now=after_quiet_hours()) == 0, "sent once"
    assert push_service.received == [], "a push is not sent late"


def test_a_held_email_is_not_sent_once_the_member_unsubscribes(
    thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    wants_everything_now(member, push_service.device("phone"))
    quiet_now(member)
    notification = reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)

    preference_set(user=member, kind=notification.kind, in_app=True, email=Email.OFF)

    assert send_held(now=after_quiet_hours()) == 0
    notification.refresh_from_db()
    assert notification.email_status == Status.SKIPPED


def test_the_digest_waits_for_the_end_of_quiet_hours(member, other_member, thread):
    digest_time_set(user=member, hour=8, time_zone="Europe/London")
    quiet_hours_set(user=member, start_hour=21, end_hour=9)
    notify_reply_created(make_reply(thread, other_member, "Replycanary").pk)
    london = ZoneInfo("Europe/London")

    assert send_digests(now=datetime(2026, 7, 1, 8, 2, tzinfo=london)) == 0
    assert send_digests(now=datetime(2026, 7, 1, 9, 2, tzinfo=london)) == 1
    assert [message.to for message in mail.outbox] == [[member.email]]


# --- The crisis exception -------------------------------------------------------------------


def flag_crisis(*, status=Flag.Status.OPEN, **post) -> Flag:
    return Flag.objects.create(flagger=None, reason=Flag.Reason.CRISIS, status=status, **post)


@pytest.mark.parametrize("flag_status", [Flag.Status.OPEN, Flag.Status.ACTIONED, Flag.Status.DISMISSED])
def test_a_moderators_reply_to_a_crisis_discussion_gets_through_quiet_hours(
    flag_status, thread, member, moderator, push_service, django_capture_on_commit_callbacks
):
    device = push_service.device("phone")
    wants_everything_now(member, device)
    quiet_now(member)
    flag_crisis(discussion=thread, status=flag_status)

    notification = reply_and_notify(thread, moderator, django_capture_on_commit_callbacks)

    assert len(push_service.to(device)) == 1
    assert device.decrypt(push_service.to(device)[0].body)["body"] == "New reply to your discussion"
    assert [message.to for message in mail.outbox] == [[member.email]]
    notification.refresh_from_db()
    assert notification.email_status == Status.SENT


def test_a_crisis_flag_on_the_members_own_reply_in_their_discussion_counts(
    thread, member, moderator, push_service, django_capture_on_commit_callbacks
):
    wants_everything_now(member, push_service.device("phone"))
    quiet_now(member)
    flag_crisis(reply=make_reply(thread, member, "Replycanary I cannot go on"))

    reply_and_notify(thread, moderator, django_capture_on_commit_callbacks)

    assert len(push_service.received) == 1
    assert len(mail.outbox) == 1


def test_a_reply_from_someone_who_is_no_moderator_waits_even_in_a_crisis_discussion(
    thread, member, other_member, push_service, django_capture_on_commit_callbacks
):
    wants_everything_now(member, push_service.device("phone"))
    quiet_now(member)
    flag_crisis(discussion=thread)

    notification = reply_and_notify(thread, other_member, django_capture_on_commit_callbacks)

    assert push_service.received == []
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.email_status == Status.HELD


def test_a_moderators_reply_waits_when_there_was_no_crisis(
    thread, member, moderator, other_member, push_service, django_capture_on_commit_callbacks
):
    wants_everything_now(member, push_service.device("phone"))
    quiet_now(member)
    flag_crisis(reply=make_reply(thread, other_member, "Replycanary someone else"))  # not the member's words
    Flag.objects.create(flagger=other_member, discussion=thread, reason=Flag.Reason.SPAM)

    reply_and_notify(thread, moderator, django_capture_on_commit_callbacks)

    assert push_service.received == []
    assert mail.outbox == []


def test_a_moderator_of_another_community_is_no_exception(
    thread, member, user_factory, push_service, django_capture_on_commit_callbacks
):
    elsewhere = make_community("longcovid")
    outside_mod = user_factory("mo")
    Membership.objects.create(user=outside_mod, community=elsewhere, role=Membership.Role.MODERATOR)
    thread.visibility = Visibility.MEMBERS
    thread.save()
    wants_everything_now(member, push_service.device("phone"))
    quiet_now(member)
    flag_crisis(discussion=thread)

    reply_and_notify(thread, outside_mod, django_capture_on_commit_callbacks)

    assert push_service.received == []


def test_the_exception_is_only_for_the_person_in_crisis(
    thread, member, other_member, moderator, push_service, django_capture_on_commit_callbacks
):
    """carol, mentioned in a moderator's reply in alice's crisis discussion, keeps her quiet hours."""
    device = push_service.device("carol-phone")
    wants_everything_now(other_member, device)
    quiet_now(other_member)
    flag_crisis(discussion=thread)
    reply = make_reply(thread, moderator, "@carol could you help")
    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(reply.pk)

    assert push_service.to(device) == []
    assert Notification.objects.get(recipient=other_member).email_status == Status.HELD


def test_crisis_alerts_reach_a_moderator_in_their_quiet_hours(
    moderator, mecfs, push_service, django_capture_on_commit_callbacks
):
    device = push_service.device("mod-phone")
    wants_everything_now(moderator, device)
    quiet_now(moderator)

    with django_capture_on_commit_callbacks(execute=True):
        notify_crisis_alert(recipient_ids=[moderator.pk])

    assert device.decrypt(push_service.to(device)[0].body)["body"] == "A crisis alert waits in your moderation queue"
    assert [message.to for message in mail.outbox] == [[moderator.email]]


# --- The settings page ----------------------------------------------------------------------


def settings_form(**changes) -> dict:
    data = {f"{kind}-email": Email.OFF for kind in Kind.values}
    data[f"{Kind.MENTION}-in_app"] = "on"
    data[f"{Kind.MENTION}-email"] = Email.IMMEDIATE
    data |= {"digest_hour": "19", "digest_time_zone": "Europe/London", "quiet_start": "21", "quiet_end": "9"}
    return data | changes


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_settings_page_saves_and_clears_quiet_hours(member):
    client = signed_in(member)
    assert "Quiet hours" in client.get("/notifications/settings/").content.decode()

    assert client.post("/notifications/settings/", settings_form()).status_code == 302
    hours = quiet_hours_for(member.pk)
    assert (hours.start_hour, hours.end_hour) == (21, 9)
    page = client.get("/notifications/settings/").content.decode()
    assert '<option value="21" selected>' in page

    assert client.post("/notifications/settings/", settings_form(quiet_start="", quiet_end="")).status_code == 302
    assert quiet_hours_for(member.pk) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"quiet_start": "21", "quiet_end": ""}, "Choose both"),
        ({"quiet_start": "", "quiet_end": "7"}, "Choose both"),
        ({"quiet_start": "9", "quiet_end": "9"}, "must end at another hour"),
        ({"quiet_start": "25"}, "Select a valid choice"),
        ({"quiet_end": "soon"}, "Select a valid choice"),
    ],
)
def test_bad_quiet_hours_are_refused_with_a_reason_and_the_choices_kept(changes, reason, member):
    client = signed_in(member)

    response = client.post("/notifications/settings/", settings_form(**changes))

    assert response.status_code == 400
    page = response.content.decode()
    assert reason in page
    assert f'<option value="{Email.IMMEDIATE}" selected>' in page, "the other choices are kept"
    assert '<option value="19" selected>' in page
    assert quiet_hours_for(member.pk) is None
    assert NotificationPreference.objects.filter(user=member).count() == 0, "nothing saved"
