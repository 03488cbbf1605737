# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
"""Email: immediate and daily digests, idempotency, unsubscribe links, and no private text."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from discussions.models import Discussion, Reply, Visibility
from notifications.emails import (
    DeliveryFailed,
    send_digests,
    send_immediate,
    unsubscribe_token,
    unsubscribe_token_read,
)
from notifications.models import Notification, NotificationPreference
from notifications.preferences import DigestHour, digest_time_for, digest_time_set, preference_set, preferences_for
from notifications.services import notify, notify_reply_created
from tests.helpers.discovery import discovery_urls, make_community, make_discussion, make_reply  # noqa: F401

pytestmark = pytest.mark.django_db
Kind = Notification.Kind
Email = NotificationPreference.Email


@pytest.fixture(autouse=True)
def _site_url(settings, discovery_urls):
    settings.SITE_URL = "https://spoonful.example"


@pytest.fixture
def mecfs(member, other_member):
    return make_community("mecfs", members=(member, other_member))


def post(author, name: str, visibility: str, community, **fields) -> Discussion:
    return make_discussion(
        author,
        f"Title{name}canary about dizziness",
        f"Body{name}canary text",
        visibility=visibility,
        communities=(community,),
        **fields,
    )


def reply_to(discussion, author, **fields) -> Reply:
    return make_reply(discussion, author, f"Replycanary{discussion.pk} words", **fields)


def everything_in(message) -> str:
    parts = [message.subject, message.body, *(str(value) for value in message.extra_headers.values())]
    parts += [content for content, _ in getattr(message, "alternatives", [])]
    return "\n".join(parts)


def immediate(user, kind=Kind.REPLY_TO_DISCUSSION) -> None:
    preference_set(user=user, kind=kind, in_app=True, email=Email.IMMEDIATE)


# --- Immediate --------------------------------------------------------------------------


@pytest.mark.parametrize("visibility", [Visibility.MEMBERS, Visibility.COMMUNITY])
def test_an_email_about_a_non_public_post_carries_no_text_title_or_name(
    member, other_member, mecfs, visibility, django_capture_on_commit_callbacks
):
    immediate(member)
    discussion = post(member, "np", visibility, mecfs)

    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(reply_to(discussion, other_member).pk)

    assert len(mail.outbox) == 1
    content = everything_in(mail.outbox[0])
    assert "Titlenpcanary" not in content
    assert "Bodynpcanary" not in content
    assert "Replycanary" not in content
    assert "mecfs" not in content
    assert "Carol" not in content
    assert "https://spoonful.example/notifications/" in content


def test_an_email_about_a_public_post_may_name_its_title(
    member, other_member, mecfs, django_capture_on_commit_callbacks
):
    immediate(member)
    discussion = post(member, "pub", Visibility.PUBLIC, mecfs)

    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(reply_to(discussion, other_member).pk)

    content = everything_in(mail.outbox[0])
    assert "Titlepubcanary" in content
    assert "Carol" in content
    assert "Replycanary" not in content


def test_an_email_about_a_public_post_behind_a_content_warning_leaves_out_its_title(
    member, other_member, mecfs, django_capture_on_commit_callbacks
):
    immediate(member)
    discussion = post(member, "cw", Visibility.PUBLIC, mecfs, content_warning="graphic symptoms")

    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(reply_to(discussion, other_member).pk)

    content = everything_in(mail.outbox[0])
    assert "Titlecwcanary" not in content
    assert "https://spoonful.example/notifications/" in content


def test_an_anonymous_reply_email_never_names_its_author(
    member, other_member, mecfs, django_capture_on_commit_callbacks
):
    immediate(member)
    discussion = post(member, "pub", Visibility.PUBLIC, mecfs)

    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(reply_to(discussion, other_member, is_anonymous=True).pk)

    content = everything_in(mail.outbox[0])
    assert "Carol" not in content
    assert "carol" not in content


def test_every_email_has_a_one_click_unsubscribe_for_its_kind(
    member, other_member, mecfs, django_capture_on_commit_callbacks
):
    immediate(member)
    discussion = post(member, "pub", Visibility.PUBLIC, mecfs)
    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(reply_to(discussion, other_member).pk)

    message = mail.outbox[0]
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://spoonful.example/notifications/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header.strip("<>") in message.body
    assert "\n" not in message.subject and "\r" not in message.subject


def test_access_is_checked_again_when_the_email_is_sent(member, other_member, mecfs, user_factory, settings):
    dave = user_factory("dave")
    immediate(dave, Kind.MENTION)
    discussion = post(member, "mem", Visibility.MEMBERS, mecfs)
    # The email job waits in the queue while the discussion becomes community-only.
    notify_reply_created(make_reply(discussion, other_member, "@dave look").pk)
    Discussion.objects.filter(pk=discussion.pk).update(visibility=Visibility.COMMUNITY)

    send_immediate(Notification.objects.values_list("pk", flat=True))

    assert mail.outbox == []
    assert Notification.objects.get(recipient=dave).email_status == Notification.EmailStatus.SKIPPED


def test_immediate_email_is_sent_once_even_if_asked_twice(
    member, other_member, mecfs, django_capture_on_commit_callbacks
):
    immediate(member)
    discussion = post(member, "pub", Visibility.PUBLIC, mecfs)
    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(reply_to(discussion, other_member).pk)

    send_immediate(Notification.objects.values_list("pk", flat=True))
    call_command("send_notification_digests")

    assert len(mail.outbox) == 1


def test_a_failed_send_is_retried_later_without_duplicates(member, other_member, mecfs, monkeypatch, settings):
    immediate(member)
    discussion = post(member, "pub", Visibility.PUBLIC, mecfs)
    settings.EMAIL_BACKEND = "tests.discussions.test_digest.BrokenBackend"

    notify_reply_created(reply_to(discussion, other_member).pk)
    # The job fails, so the workers try it again later (spoonful.jobs).
    with pytest.raises(DeliveryFailed):
        send_immediate(list(Notification.objects.values_list("pk", flat=True)))
    assert Notification.objects.get().email_status == Notification.EmailStatus.IMMEDIATE

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_immediate(Notification.objects.values_list("pk", flat=True))
    send_immediate(Notification.objects.values_list("pk", flat=True))
    assert len(mail.outbox) == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_decisions_are_emailed_at_once_by_default(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(member, Kind.VERIFICATION_DECISION, message="Your verification was approved.", url="/")

    assert len(mail.outbox) == 1
    assert "Your verification was approved." in mail.outbox[0].body


# --- Digest -----------------------------------------------------------------------------


def test_the_digest_gathers_notifications_into_one_email_and_is_idempotent(member, other_member, mecfs):
    public = post(member, "pub", Visibility.PUBLIC, mecfs)
    private = post(member, "com", Visibility.COMMUNITY, mecfs)
    notify_reply_created(reply_to(public, other_member).pk)
    notify_reply_created(reply_to(private, other_member).pk)

    call_command("send_notification_digests")
    call_command("send_notification_digests")

    assert len(mail.outbox) == 1
    content = everything_in(mail.outbox[0])
    assert "Titlepubcanary" in content
    assert "Titlecomcanary" not in content
    assert "Bodycomcanary" not in content
    assert "Replycanary" not in content
    assert content.count("https://spoonful.example/notifications/unsubscribe/") >= 2
    assert set(Notification.objects.values_list("email_status", flat=True)) == {Notification.EmailStatus.SENT}


def test_the_digest_leaves_out_what_the_member_can_no_longer_read(member, other_member, mecfs, user_factory):
    user_factory("dave")
    discussion = post(member, "mem", Visibility.MEMBERS, mecfs)
    notify_reply_created(make_reply(discussion, other_member, "@dave hello").pk)
    Discussion.objects.filter(pk=discussion.pk).update(visibility=Visibility.COMMUNITY)

    send_digests()

    assert [message.to for message in mail.outbox] == [["alice@example.org"]]


def test_a_digest_skips_a_removed_reply(member, other_member, mecfs):
    discussion = post(member, "pub", Visibility.PUBLIC, mecfs)
    reply = reply_to(discussion, other_member)
    notify_reply_created(reply.pk)
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.REMOVED)

    assert send_digests() == 0
    assert mail.outbox == []


def test_nothing_waits_for_a_digest_when_email_is_off(member, other_member, mecfs):
    preference_set(user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=True, email=Email.OFF)
    notify_reply_created(reply_to(post(member, "pub", Visibility.PUBLIC, mecfs), other_member).pk)

    assert send_digests() == 0


# --- Unsubscribe --------------------------------------------------------------------------


def test_the_unsubscribe_link_confirms_on_get_and_acts_on_post(member, discovery_urls):
    token = unsubscribe_token(member, [Kind.MENTION])
    url = f"/notifications/unsubscribe/{token}/"

    page = Client().get(url)
    assert page.status_code == 200
    assert "Mentions of me" in page.content.decode()
    assert preferences_for([member.pk], Kind.MENTION)[member.pk].email == Email.DIGEST

    done = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})

    assert done.status_code == 200
    preference = preferences_for([member.pk], Kind.MENTION)[member.pk]
    assert preference.email == Email.OFF
    assert preference.in_app is True
    assert preferences_for([member.pk], Kind.REPLY_TO_DISCUSSION)[member.pk].email == Email.DIGEST


def test_unsubscribing_cancels_what_was_waiting(member, other_member, mecfs, discovery_urls):
    notify_reply_created(reply_to(post(member, "pub", Visibility.PUBLIC, mecfs), other_member).pk)
    token = unsubscribe_token(member, [Kind.REPLY_TO_DISCUSSION])

    Client().post(f"/notifications/unsubscribe/{token}/")

    assert send_digests() == 0


@pytest.mark.parametrize("token", ["nonsense", "eyJ1IjoxfQ:forged:sig"])
def test_a_forged_unsubscribe_link_changes_nothing(member, discovery_urls, token):
    response = Client().post(f"/notifications/unsubscribe/{token}/")

    assert response.status_code == 404
    assert not NotificationPreference.objects.exists()


def test_an_unsubscribe_token_cannot_be_reused_for_another_member(member, other_member):
    token = unsubscribe_token(member, [Kind.MENTION])
    user, kinds = unsubscribe_token_read(token)
    assert user == member
    assert kinds == [Kind.MENTION]
    assert unsubscribe_token_read(token.replace(":", ";", 1)) is None


def test_settings_page_saves_choices(member, discovery_urls):
    client = Client()
    client.force_login(member)
    data = {f"{kind}-email": Email.OFF for kind in Kind.values}
    data[f"{Kind.MENTION}-in_app"] = "on"
    data[f"{Kind.MENTION}-email"] = Email.IMMEDIATE
    data |= {"digest_hour": "19", "digest_time_zone": "Europe/London"}

    assert client.get("/notifications/settings/").status_code == 200
    assert client.post("/notifications/settings/", data).status_code == 302

    assert preferences_for([member.pk], Kind.MENTION)[member.pk].email == Email.IMMEDIATE
    assert preferences_for([member.pk], Kind.REPLY_TO_REPLY)[member.pk].in_app is False
    assert digest_time_for(member.pk) == DigestHour(19, "Europe/London")


def test_an_unknown_time_zone_is_refused_with_a_reason_and_the_choices_kept(member, discovery_urls):
    client = Client()
    client.force_login(member)
    data = {f"{kind}-email": Email.OFF for kind in Kind.values}
    data[f"{Kind.MENTION}-email"] = Email.IMMEDIATE
    data |= {"digest_hour": "7", "digest_time_zone": "Mars/Olympus_Mons"}

    response = client.post("/notifications/settings/", data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose a time zone from the list" in page
    assert f'<option value="{Email.IMMEDIATE}" selected>' in page
    assert preferences_for([member.pk], Kind.MENTION)[member.pk].email != Email.IMMEDIATE
    assert digest_time_for(member.pk) == DigestHour(0, "UTC")


def test_public_check_uses_the_visibility_rule(member, mecfs):
    from discussions.selectors import can_see_discussion

    assert can_see_discussion(AnonymousUser(), post(member, "pub", Visibility.PUBLIC, mecfs))


def test_a_digest_goes_out_at_the_members_hour_in_their_time_zone_once_a_day(member, other_member, mecfs):
    digest_time_set(user=member, hour=20, time_zone="Europe/London")
    preference_set(user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=True, email=Email.DIGEST)
    discussion = post(member, "pub", Visibility.PUBLIC, mecfs)
    notify_reply_created(reply_to(discussion, other_member).pk)
    london = ZoneInfo("Europe/London")

    assert send_digests(now=datetime(2026, 7, 1, 19, 59, tzinfo=london)) == 0
    assert send_digests(now=datetime(2026, 7, 1, 20, 2, tzinfo=london)) == 1
    notify_reply_created(make_reply(discussion, other_member, "another").pk)
    assert send_digests(now=datetime(2026, 7, 1, 23, 2, tzinfo=london)) == 0, "one digest a day"
    assert send_digests(now=datetime(2026, 7, 2, 20, 2, tzinfo=london)) == 1
    assert [message.to for message in mail.outbox] == [[member.email], [member.email]]
    ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert ids == [
        f"<digest-{member.pk}-20260701@spoonful.example>",
        f"<digest-{member.pk}-20260702@spoonful.example>",
    ]


def test_a_digest_claim_left_by_a_worker_that_died_is_taken_over_after_its_lease(member, other_member, mecfs):
    preference_set(user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=True, email=Email.DIGEST)
    notify_reply_created(reply_to(post(member, "pub", Visibility.PUBLIC, mecfs), other_member).pk)
    # A run claimed the row and died before sending.
    Notification.objects.update(email_status=Notification.EmailStatus.SENDING, email_claimed_at=timezone.now())
    assert send_digests() == 0, "a fresh claim belongs to a run that may still be sending"

    Notification.objects.update(email_claimed_at=timezone.now() - timedelta(minutes=16))
    assert send_digests() == 1
    assert Notification.objects.get().email_status == Notification.EmailStatus.SENT
