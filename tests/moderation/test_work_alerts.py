"""Alerts about work waiting, without escalation (issue 15): a new verification application
tells staff, a new appeal the moderators of its community (staff for a site-wide decision),
and a queue whose oldest item waited past QUEUE_ALERT_HOURS its community's moderators,
once per window. No alert names a member, post or community."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.verification import verification_apply
from community.models import Membership
from discussions.models import Discussion
from moderation.appeals import appeal_create
from moderation.member_actions import member_suspend
from moderation.models import Flag
from moderation.post_actions import post_remove
from moderation.work_alerts import appeal_alert_send, queue_age_alerts_send, verification_application_alert_send
from notifications.models import Notification
from tests.helpers.uploads import APPLICATION_FIELDS

Kind = Notification.Kind
CANARY = "qzxcanary"


def alerts(user, kind) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind))


def assert_names_nothing(message, *private: str) -> None:
    for part in (message.subject, message.body, *(content for content, _ in message.alternatives)):
        assert CANARY not in part
        assert "mecfs" not in part.lower()
        for text in private:
            assert text not in part


@pytest.fixture
def removal(discussion, moderator):
    return post_remove(acting_user=moderator, post=discussion, reason="Personal data")


# --- Appeals -------------------------------------------------------------------------------


def test_a_new_appeal_alerts_the_communitys_moderators_without_its_text(
    removal, members, moderator, other_moderator, pots_moderator, staff, django_capture_on_commit_callbacks
):
    author, _ = members
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appeal = appeal_create(appellant=author, action=removal, text=f"It was my own number {CANARY}")

    for person in (moderator, other_moderator):
        (alert,) = alerts(person, Kind.APPEAL_RECEIVED)
        assert alert.url == f"{reverse('moderation:queue')}#appeal-{appeal.pk}" and CANARY not in alert.message
    assert alerts(pots_moderator, Kind.APPEAL_RECEIVED) == [] and alerts(staff, Kind.APPEAL_RECEIVED) == []
    assert alerts(author, Kind.APPEAL_RECEIVED) == []
    assert sorted(message.to[0] for message in mail.outbox) == sorted([moderator.email, other_moderator.email])
    for message in mail.outbox:
        assert_names_nothing(message, "Alice", "Pacing")
        assert f"#appeal-{appeal.pk}" in message.body
        assert "List-Unsubscribe" in message.extra_headers  # a setting like any other

    # A second run of the job (a worker died after the commit) alerts nobody again.
    assert appeal_alert_send(appeal.pk) == 0
    assert len(alerts(moderator, Kind.APPEAL_RECEIVED)) == 1


def test_an_appeal_against_a_site_wide_suspension_alerts_staff(
    member, moderator, staff, user_factory, django_capture_on_commit_callbacks
):
    other_staff = user_factory("lee", is_staff=True, two_factor=True)
    suspension = member_suspend(acting_user=staff, user=member, reason="Spam", days=3)
    with django_capture_on_commit_callbacks(execute=True):
        appeal_create(appellant=member, action=suspension, text=f"Please {CANARY}")
    assert len(alerts(staff, Kind.APPEAL_RECEIVED)) == 1 and len(alerts(other_staff, Kind.APPEAL_RECEIVED)) == 1
    assert alerts(moderator, Kind.APPEAL_RECEIVED) == []


def test_the_queue_anchors_each_appeal(login, removal, members, moderator):
    appeal = appeal_create(appellant=members[0], action=removal, text="Please look again")
    assert f'id="appeal-{appeal.pk}"' in login(moderator).get(reverse("moderation:queue")).content.decode()


# --- Verification applications -----------------------------------------------------------------


def test_a_new_verification_application_alerts_staff_not_the_applicant(
    member, staff, moderator, user_factory, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    applicant = user_factory(
        "drlee", display_name="Dr Lee", is_staff=True
    )  # staff may apply too; never told of their own
    with django_capture_on_commit_callbacks(execute=True):
        application = verification_apply(applicant=applicant, **APPLICATION_FIELDS)

    (alert,) = alerts(staff, Kind.VERIFICATION_APPLICATION)
    assert alert.url.startswith(reverse("accounts:verification_queue"))
    assert alerts(applicant, Kind.VERIFICATION_APPLICATION) == []
    assert alerts(moderator, Kind.VERIFICATION_APPLICATION) == []
    (message,) = mail.outbox
    assert message.to == [staff.email]
    assert_names_nothing(message, "GMC-7654321", "Dr Lee", "drlee", "Rheumatology")
    assert verification_application_alert_send(application.pk) == 0


# --- A queue waiting too long ------------------------------------------------------------------


def _flag_waiting_since(discussion: Discussion, hours: float) -> Flag:
    flag = Flag.objects.create(discussion=discussion, reason=Flag.Reason.SPAM)
    Flag.objects.filter(pk=flag.pk).update(created_at=timezone.now() - timedelta(hours=hours))
    return flag


def test_an_old_queue_alerts_its_moderators_once_per_window(
    discussion, moderator, other_moderator, pots_moderator, staff, settings, django_capture_on_commit_callbacks
):
    settings.QUEUE_ALERT_HOURS = 24
    _flag_waiting_since(discussion, hours=23)
    assert queue_age_alerts_send() == 0

    Flag.objects.update(created_at=timezone.now() - timedelta(hours=25))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_age_alerts_send() == 1
    for person in (moderator, other_moderator):
        (alert,) = alerts(person, Kind.QUEUE_WAITING)
        assert "24 hours" in alert.message and alert.url == reverse("moderation:queue")
    assert alerts(pots_moderator, Kind.QUEUE_WAITING) == [] and alerts(staff, Kind.QUEUE_WAITING) == []
    for message in mail.outbox:
        assert_names_nothing(message, "Pacing")

    # Every quarter hour inside the window: nothing more; after it, once again.
    assert queue_age_alerts_send(now=timezone.now() + timedelta(hours=1)) == 0
    assert queue_age_alerts_send(now=timezone.now() + timedelta(hours=25)) == 1
    assert len(alerts(moderator, Kind.QUEUE_WAITING)) == 2


def test_an_old_queue_with_no_moderator_alerts_staff(discussion, staff, settings):
    Membership.objects.filter(role=Membership.Role.MODERATOR).delete()
    settings.QUEUE_ALERT_HOURS = 2
    _flag_waiting_since(discussion, hours=3)
    assert queue_age_alerts_send() == 1
    assert len(alerts(staff, Kind.QUEUE_WAITING)) == 1


def test_a_held_post_and_a_join_request_count_as_waiting(discussion, moderator, outsider, mecfs, settings):
    settings.QUEUE_ALERT_HOURS = 1
    Discussion.objects.filter(pk=discussion.pk).update(
        status=Discussion.Status.HELD, created_at=timezone.now() - timedelta(hours=2)
    )
    assert queue_age_alerts_send() == 1
    Discussion.objects.filter(pk=discussion.pk).update(status=Discussion.Status.PUBLISHED)
    request = Membership.objects.create(user=outsider, community=mecfs, status=Membership.Status.REQUESTED)
    Membership.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert queue_age_alerts_send(now=timezone.now() + timedelta(hours=2)) == 1


# --- Settings ------------------------------------------------------------------------------------


def test_work_alerts_are_settings_for_moderators_only_and_crisis_ones_never(login, moderator, mecfs, member):
    page = login(moderator).get(reverse("notifications:settings")).content.decode()
    assert Kind.APPEAL_RECEIVED in page and Kind.QUEUE_WAITING in page
    assert Kind.CRISIS_ALERT not in page and Kind.CRISIS_ESCALATION not in page
    page = login(member).get(reverse("notifications:settings")).content.decode()
    assert Kind.APPEAL_RECEIVED not in page and Kind.VERIFICATION_APPLICATION not in page


def test_a_member_saving_their_settings_leaves_moderators_kinds_alone(login, member):
    response = login(member).post(reverse("notifications:settings"), {"digest_hour": 8, "digest_time_zone": "UTC"})
    assert response.status_code == 302
    assert member.notification_preferences.filter(kind=Kind.MENTION).exists()
    assert not member.notification_preferences.filter(kind__in=[Kind.APPEAL_RECEIVED, Kind.QUEUE_WAITING]).exists()
