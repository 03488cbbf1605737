# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
"""Notifications and the search index through the posting services, as members use them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail

import discussions.services as services
from discussions.models import Visibility
from discussions.search import search_discussions
from notifications.models import Notification, NotificationPreference
from notifications.preferences import preference_set
from tests.helpers.discovery import discovery_urls, make_community, make_discussion, make_reply  # noqa: F401
from tests.helpers.jobs import queued_job_names, run_queued_jobs

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


@pytest.mark.django_db(transaction=True)
def test_an_immediate_email_is_a_job_queued_with_the_reply_and_sent_once_by_a_worker(
    member, other_member, mecfs, settings, discovery_urls, client
):
    settings.JOBS_IMMEDIATE = False
    preference_set(
        user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=True, email=NotificationPreference.Email.IMMEDIATE
    )
    discussion = make_discussion(member, "Thread test", "x", communities=(mecfs,))
    run_queued_jobs()
    client.force_login(other_member)

    response = client.post(f"/d/{discussion.pk}/reply/", {"body": "hello", "submission_token": "one"})

    # The request only queued the work: nothing was sent while the member waited.
    assert response.status_code == 302
    assert mail.outbox == []
    assert "notifications.services.notify_reply_created" in queued_job_names()
    run_queued_jobs()  # the fan-out, which queues the email
    run_queued_jobs()  # the email
    run_queued_jobs()  # nothing left: a second pass sends nothing twice
    assert [message.to for message in mail.outbox] == [[member.email]]
    assert Notification.objects.get(recipient=member).email_status == Notification.EmailStatus.SENT
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<notification-")
