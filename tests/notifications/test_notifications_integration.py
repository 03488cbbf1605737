# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
"""Notifications and the search index through the posting services, as members use them."""

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail

import discussions.services as services
from discussions.models import Visibility
from discussions.search import search_discussions
from notifications.models import Notification, NotificationPreference
from notifications.preferences import preference_set
from notifications.services import notify_reply_created
from tests.helpers.discovery import discovery_urls, make_community, make_discussion, make_reply  # noqa: F401
from tests.helpers.mail import HeldEmailBackend

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


@pytest.fixture
def mecfs(member, other_member):
    return make_community("mecfs", members=(member, other_member))


def test_replying_through_the_service_notifies_and_indexes(
    member, other_member, mecfs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        discussion = services.discussion_create(
            author=member,
            title="Orthostatic trouble",
            body="Standing is hard",
            hashtags=["mecfs"],
            visibility=Visibility.PUBLIC,
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_create(author=other_member, discussion=discussion, body="Try a wombat cushion, @alice")

    assert list(Notification.objects.filter(recipient=member).values_list("kind", flat=True)) == [Kind.MENTION]
    assert [d.pk for d in search_discussions(viewer=AnonymousUser(), query="wombat").results] == [discussion.pk]


@pytest.fixture
def held_email(settings):
    settings.EMAIL_BACKEND = "tests.helpers.mail.HeldEmailBackend"
    HeldEmailBackend.started.clear()
    HeldEmailBackend.release.clear()
    yield HeldEmailBackend
    HeldEmailBackend.release.set()  # never leave a sender waiting


@pytest.mark.django_db(transaction=True)
def test_an_immediate_email_is_sent_after_the_request_and_arrives(
    member, other_member, mecfs, settings, discovery_urls, held_email
):
    settings.NOTIFICATIONS_EMAIL_INLINE = False
    preference_set(
        user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=True, email=NotificationPreference.Email.IMMEDIATE
    )
    reply = make_reply(make_discussion(member, "Thread test", "x", communities=(mecfs,)), other_member, "hello")
    running = set(threading.enumerate())

    notify_reply_created(reply.pk)

    # The reply's work is done while the mail server still holds the email.
    assert held_email.started.wait(timeout=5)
    assert mail.outbox == []
    held_email.release.set()
    for sender in set(threading.enumerate()) - running:
        sender.join(timeout=5)
    assert [message.to for message in mail.outbox] == [[member.email]]
    assert Notification.objects.get(recipient=member).email_status == Notification.EmailStatus.SENT
