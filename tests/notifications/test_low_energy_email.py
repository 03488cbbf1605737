# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
"""Low-energy mode gathers "email me straight away" into the daily digest; a crisis alert,
a duty rather than a preference, still goes at once."""

import pytest
from django.core import mail

from accounts.models import User
from discussions.models import Visibility
from notifications.emails import send_digests
from notifications.models import Notification, NotificationPreference
from notifications.preferences import preference_set
from notifications.services import notify, notify_crisis_alert, notify_reply_created
from tests.helpers.discovery import discovery_urls, make_community, make_discussion, make_reply  # noqa: F401

pytestmark = pytest.mark.django_db
Kind = Notification.Kind
Email = NotificationPreference.Email
Status = Notification.EmailStatus


@pytest.fixture(autouse=True)
def _site_url(settings, discovery_urls):
    settings.SITE_URL = "https://spoonful.example"


@pytest.fixture
def mecfs(member, other_member):
    return make_community("mecfs", members=(member, other_member))


def low_energy(user: User) -> None:
    User.objects.filter(pk=user.pk).update(low_energy=True)


def a_reply_to_members_discussion(member, other_member, mecfs):
    discussion = make_discussion(
        member, "Pacing", "How do you pace?", visibility=Visibility.PUBLIC, communities=(mecfs,)
    )
    return make_reply(discussion, other_member, "Rest first.")


def test_an_immediate_reply_email_waits_for_the_digest_in_low_energy_mode(
    member, other_member, mecfs, django_capture_on_commit_callbacks
):
    preference_set(user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=True, email=Email.IMMEDIATE)
    low_energy(member)

    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(a_reply_to_members_discussion(member, other_member, mecfs).pk)

    assert mail.outbox == []
    assert list(Notification.objects.values_list("email_status", flat=True)) == [Status.DIGEST]
    assert send_digests() == 1
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]
    assert list(Notification.objects.values_list("email_status", flat=True)) == [Status.SENT]


def test_without_low_energy_mode_an_immediate_email_still_goes_at_once(
    member, other_member, mecfs, django_capture_on_commit_callbacks
):
    preference_set(user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=True, email=Email.IMMEDIATE)

    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(a_reply_to_members_discussion(member, other_member, mecfs).pk)

    assert len(mail.outbox) == 1
    assert list(Notification.objects.values_list("email_status", flat=True)) == [Status.SENT]


def test_a_decision_emailed_at_once_by_default_is_gathered_too(member, django_capture_on_commit_callbacks):
    low_energy(member)

    with django_capture_on_commit_callbacks(execute=True):
        notify(member, Kind.VERIFICATION_DECISION, message="Your verification was approved.", url="/")

    assert mail.outbox == []
    assert send_digests() == 1
    assert "Your verification was approved." in mail.outbox[0].body


def test_low_energy_mode_never_turns_email_on(member, other_member, mecfs):
    preference_set(user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=True, email=Email.OFF)
    low_energy(member)

    notify_reply_created(a_reply_to_members_discussion(member, other_member, mecfs).pk)

    assert list(Notification.objects.values_list("email_status", flat=True)) == [Status.NONE]


def test_a_crisis_alert_still_goes_at_once_in_low_energy_mode(moderator, django_capture_on_commit_callbacks):
    low_energy(moderator)

    created = notify_crisis_alert(recipient_ids=[moderator.pk])

    assert [row.email_status for row in created] == [Status.IMMEDIATE]


def test_only_the_low_energy_member_is_gathered(member, other_member, user_factory, mecfs):
    dave = user_factory("dave")
    for user in (member, dave):
        preference_set(user=user, kind=Kind.MENTION, in_app=True, email=Email.IMMEDIATE)
    low_energy(member)
    discussion = make_discussion(
        other_member, "Pacing", "How do you pace?", visibility=Visibility.PUBLIC, communities=(mecfs,)
    )

    notify_reply_created(make_reply(discussion, other_member, "@alice and @dave, any ideas?").pk)

    statuses = dict(Notification.objects.values_list("recipient__username", "email_status"))
    assert statuses == {"alice": Status.DIGEST, "dave": Status.IMMEDIATE}
