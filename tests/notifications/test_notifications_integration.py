# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
"""Notifications and the search index through the posting services, as members use them."""

from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser

import discussions.services as services
from discussions.models import Visibility
from discussions.search import search_discussions
from notifications import services as notifications
from notifications.models import Notification, NotificationPreference
from tests.helpers.discovery import discovery_urls, make_community, make_discussion, make_reply  # noqa: F401

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


def test_immediate_emails_leave_the_request_on_a_thread(
    member, other_member, mecfs, settings, discovery_urls, django_capture_on_commit_callbacks
):
    from django.core import mail

    settings.NOTIFICATIONS_EMAIL_INLINE = False
    notifications.preference_set(
        user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=True, email=NotificationPreference.Email.IMMEDIATE
    )
    reply = make_reply(make_discussion(member, "Thread test", "x", communities=(mecfs,)), other_member, "hello")

    with (
        mock.patch("notifications.services.Thread") as thread,
        django_capture_on_commit_callbacks(execute=True),
    ):
        notifications.notify_reply_created(reply.pk)

    thread.assert_called_once()
    thread.return_value.start.assert_called_once()
    assert thread.call_args.kwargs["daemon"] is True
    assert mail.outbox == []  # nothing was sent in the request itself
    # What the thread would run sends the email once.
    with mock.patch("notifications.services.connection.close"):
        thread.call_args.kwargs["target"]()
    assert len(mail.outbox) == 1
