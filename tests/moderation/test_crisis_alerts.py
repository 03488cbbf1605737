"""A crisis item reaches a person at once: the moderators of the post's communities
(staff when the communities have none) by bell, live nudge and email, whatever their
notification settings, and the email carries no private text."""

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.urls import reverse
from django_q.models import OrmQ

from community.models import Membership
from discussions import services
from discussions.models import Visibility
from moderation.crisis_alerts import crisis_alert_send
from moderation.models import Flag
from notifications.models import Notification, NotificationPreference
from tests.helpers.jobs import run_queued_jobs
from tests.helpers.live import communicator as connect
from tests.helpers.live import session_cookie_for

CRISIS_TITLE = "Tired of everything qzxtitle"
CRISIS_BODY = "I want to die, nothing helps any more qzxbody"


def crisis_alerts_for(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=Notification.Kind.CRISIS_ALERT))


def everything_to_digest(user) -> None:
    """A moderator who asked for a daily digest of everything, and no crisis email."""
    for kind in Notification.Kind.values:
        NotificationPreference.objects.create(
            user=user, kind=kind, in_app=False, email=NotificationPreference.Email.DIGEST
        )
    NotificationPreference.objects.filter(user=user, kind=Notification.Kind.CRISIS_ALERT).update(
        email=NotificationPreference.Email.OFF
    )


def assert_no_private_text(message) -> None:
    parts = [message.subject, message.body, *(content for content, _ in message.alternatives)]
    for part in parts:
        assert "qzxtitle" not in part and "qzxbody" not in part and "want to die" not in part
        assert "mecfs" not in part.lower()


def test_it_alerts_the_communitys_moderators_at_once_when_a_post_suggests_crisis(
    login, members, moderator, other_moderator, django_capture_on_commit_callbacks
):
    author, _ = members
    everything_to_digest(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(author).post(
            "/d/new/",
            {"title": CRISIS_TITLE, "body": CRISIS_BODY, "hashtags": "#mecfs", "visibility": Visibility.COMMUNITY},
        )

    # The poster still lands on the support page first.
    assert response.status_code == 302 and response["Location"].startswith(reverse("moderation:support"))
    for moderator_ in (moderator, other_moderator):
        (alert,) = crisis_alerts_for(moderator_)
        assert alert.in_app and alert.url == reverse("moderation:queue")
        assert "qzx" not in alert.message
    assert crisis_alerts_for(author) == []

    emails = {message.to[0]: message for message in mail.outbox}
    assert set(emails) == {moderator.email, other_moderator.email}
    for message in emails.values():
        assert_no_private_text(message)
        assert "crisis" in message.subject.lower()
        assert "/mod/" in message.body
        assert "List-Unsubscribe" not in message.extra_headers

    bell = login(moderator).get("/notifications/")
    assert "crisis" in bell.content.decode().lower()


def test_it_alerts_the_moderators_when_a_member_flags_a_post_as_crisis_once_per_open_item(
    login, members, moderator, outsider, mecfs, django_capture_on_commit_callbacks
):
    author, other = members
    discussion = services.discussion_create(
        author=author, title="Pacing", body="A quiet question", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    mail.outbox.clear()

    url = reverse("moderation:flag", args=["discussion", discussion.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert login(other).post(url, {"reason": Flag.Reason.CRISIS}).status_code == 302
    assert len(crisis_alerts_for(moderator)) == 1
    assert [message.to for message in mail.outbox] == [[moderator.email]]

    # A second crisis flag on the same waiting item does not ring again.
    Membership.objects.create(user=outsider, community=mecfs)
    with django_capture_on_commit_callbacks(execute=True):
        assert login(outsider).post(url, {"reason": Flag.Reason.CRISIS}).status_code == 302
    assert len(crisis_alerts_for(moderator)) == 1

    # A flag of another kind is no crisis alert.
    spam = services.discussion_create(
        author=author, title="Other", body="Another question", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    with django_capture_on_commit_callbacks(execute=True):
        login(other).post(reverse("moderation:flag", args=["discussion", spam.pk]), {"reason": Flag.Reason.SPAM})
    assert len(crisis_alerts_for(moderator)) == 1


def test_it_alerts_staff_when_the_community_has_no_moderator(members, staff, django_capture_on_commit_callbacks):
    author, _ = members
    reply_to = services.discussion_create(
        author=author, title="Pacing", body="A quiet question", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.reply_create(author=members[1], discussion=reply_to, body="I can't go on like this")

    (alert,) = crisis_alerts_for(staff)
    assert alert.url == reverse("moderation:queue")
    assert [message.to for message in mail.outbox] == [[staff.email]]
    assert_no_private_text(mail.outbox[0])


def test_crisis_alerts_are_not_a_setting_a_moderator_can_switch_off(login, moderator):
    page = login(moderator).get(reverse("notifications:settings")).content.decode()
    assert "crisis_alert" not in page


@pytest.mark.django_db(transaction=True)
async def test_it_nudges_the_moderators_open_bell_when_a_post_suggests_crisis(members, moderator):
    author, _ = members
    communicator = connect("/ws/notifications/", await session_cookie_for(moderator))
    connected, _ = await communicator.connect()
    assert connected

    await sync_to_async(services.discussion_create)(
        author=author, title=CRISIS_TITLE, body=CRISIS_BODY, hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )

    assert await communicator.receive_json_from(timeout=2) == {"type": "notification"}
    await communicator.disconnect()


def test_the_alert_job_run_twice_alerts_each_moderator_once(login, members, moderator, other_moderator, settings):
    """A worker may die after the alert committed and before it recorded the job as done:
    the job runs again, and finds the crisis item already alerted."""
    settings.JOBS_IMMEDIATE = False
    author, _ = members
    login(author).post(
        "/d/new/",
        {"title": CRISIS_TITLE, "body": CRISIS_BODY, "hashtags": "#mecfs", "visibility": Visibility.COMMUNITY},
    )
    alert_job = next(row for row in OrmQ.objects.all() if row.func() == "moderation.crisis_alerts.crisis_alert_send")
    task = alert_job.task

    assert crisis_alert_send(*task["args"]) == 2
    assert crisis_alert_send(*task["args"]) == 0
    run_queued_jobs()  # the queued copy of the alert job too: it alerts nobody again

    for moderator_ in (moderator, other_moderator):
        assert len(crisis_alerts_for(moderator_)) == 1
    assert sorted(message.to[0] for message in mail.outbox) == sorted([moderator.email, other_moderator.email])
