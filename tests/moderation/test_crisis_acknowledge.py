"""Taking a crisis alert ("I'm on it"), staff on call, escalation to all staff when nobody
takes an alert in time, and the response times the dashboard reads (issue 15)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from discussions import services
from discussions.models import Discussion, Visibility
from moderation.crisis_alerts import crisis_escalate_due, crisis_flag_acknowledge
from moderation.models import Flag, ModerationAction, OnCall
from moderation.post_actions import post_remove
from moderation.selectors import crisis_response_times, moderation_scope_for
from notifications.models import Notification
from spoonful.schedules import SCHEDULES
from tests.moderation.test_crisis_alerts import CRISIS_BODY, CRISIS_TITLE, assert_no_private_text

Kind = Notification.Kind


@pytest.fixture
def crisis_item(members, moderator, django_capture_on_commit_callbacks) -> Flag:
    """A discussion whose words suggest crisis, alerted to #mecfs's moderator; the alert mail cleared."""
    author, _ = members
    with django_capture_on_commit_callbacks(execute=True):
        services.discussion_create(
            author=author, title=CRISIS_TITLE, body=CRISIS_BODY, hashtags=["mecfs"], visibility=Visibility.COMMUNITY
        )
    flag = Flag.objects.get(reason=Flag.Reason.CRISIS)
    assert flag.alerted_at is not None
    mail.outbox.clear()
    return flag


def alerts(user, kind=Kind.CRISIS_ALERT) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind))


@pytest.fixture
def second_staff(user_factory):
    return user_factory("lee", display_name="Lee (staff)", is_staff=True, two_factor=True)


# --- On call ------------------------------------------------------------------------------


def test_staff_on_call_are_alerted_with_the_communitys_moderators(
    login, members, moderator, staff, second_staff, django_capture_on_commit_callbacks
):
    response = login(staff).post(reverse("moderation:on_call"), {"on_call": "on"})
    assert response.status_code == 302
    assert OnCall.objects.filter(user=staff).exists()
    assert ModerationAction.objects.filter(kind=ModerationAction.Kind.ON_CALL, actor=staff).exists()
    assert "You are <strong>on call</strong>" in login(staff).get(reverse("moderation:queue")).content.decode()

    author, _ = members
    with django_capture_on_commit_callbacks(execute=True):
        services.discussion_create(
            author=author, title=CRISIS_TITLE, body=CRISIS_BODY, hashtags=["mecfs"], visibility=Visibility.COMMUNITY
        )

    assert len(alerts(moderator)) == 1 and len(alerts(staff)) == 1
    assert alerts(second_staff) == []  # off call, and the community has a moderator
    assert sorted(message.to[0] for message in mail.outbox) == sorted([moderator.email, staff.email])
    for message in mail.outbox:
        assert_no_private_text(message)


def test_going_off_call_stops_the_alerts(login, staff):
    client = login(staff)
    client.post(reverse("moderation:on_call"), {"on_call": "on"})
    client.post(reverse("moderation:on_call"), {"on_call": "off"})
    assert not OnCall.objects.filter(user=staff).exists()
    assert ModerationAction.objects.filter(kind=ModerationAction.Kind.ON_CALL).count() == 2
    assert "You are <strong>off call</strong>" in client.get(reverse("moderation:queue")).content.decode()
    log = client.get(reverse("moderation:log"))
    assert log.status_code == 200 and "Went on or off call" in log.content.decode()


def test_only_staff_go_on_call(login, moderator, mecfs):
    assert login(moderator).post(reverse("moderation:on_call"), {"on_call": "on"}).status_code == 404
    assert not OnCall.objects.exists()
    assert "on-call-heading" not in login(moderator).get(reverse("moderation:queue")).content.decode()


# --- I'm on it ------------------------------------------------------------------------------


def test_the_queue_shows_an_untaken_alert_and_who_took_it_after_im_on_it(login, crisis_item, moderator):
    client = login(moderator)
    page = client.get(reverse("moderation:queue")).content.decode()
    assert "not yet acknowledged" in page and "Alerted at" in page
    url = reverse("moderation:crisis_acknowledge", args=[crisis_item.pk])
    assert url in page

    response = client.post(url, {"next": reverse("moderation:queue")})
    assert response.status_code == 302 and response["Location"] == reverse("moderation:queue")

    crisis_item.refresh_from_db()
    assert crisis_item.acknowledged_by == moderator and crisis_item.acknowledged_at is not None
    assert crisis_item.status == Flag.Status.OPEN  # taking it is not deciding it
    (entry,) = ModerationAction.objects.filter(kind=ModerationAction.Kind.CRISIS_ACKNOWLEDGE)
    assert entry.actor == moderator and entry.discussion_id == crisis_item.discussion_id

    page = client.get(reverse("moderation:queue")).content.decode()
    assert "Acknowledged</strong> by Sam at" in page and "not yet acknowledged" not in page
    review = client.get(reverse("moderation:post_review", args=["discussion", crisis_item.discussion_id]))
    assert "Acknowledged</strong> by Sam at" in review.content.decode()
    assert "Took a crisis alert" in client.get(reverse("moderation:log")).content.decode()


def test_a_second_click_changes_nothing_and_a_second_moderator_is_told_who_is_on_it(
    login, crisis_item, moderator, other_moderator
):
    url = reverse("moderation:crisis_acknowledge", args=[crisis_item.pk])
    login(moderator).post(url)
    first = Flag.objects.get(pk=crisis_item.pk).acknowledged_at
    login(moderator).post(url)
    assert Flag.objects.get(pk=crisis_item.pk).acknowledged_at == first

    response = login(other_moderator).post(url, follow=True)
    assert "Already taken: Sam is on it" in response.content.decode()
    assert Flag.objects.get(pk=crisis_item.pk).acknowledged_by == moderator
    assert ModerationAction.objects.filter(kind=ModerationAction.Kind.CRISIS_ACKNOWLEDGE).count() == 1


def test_im_on_it_is_a_404_to_anyone_who_does_not_moderate_the_post(
    login, crisis_item, pots_moderator, members, discussion
):
    url = reverse("moderation:crisis_acknowledge", args=[crisis_item.pk])
    assert login(pots_moderator).post(url).status_code == 404
    assert login(members[1]).post(url).status_code == 404
    assert login(members[0]).get(url).status_code == 405
    # Not a crisis flag, or no flag at all: the same 404.
    spam = Flag.objects.create(discussion=discussion, reason=Flag.Reason.SPAM)
    assert login(pots_moderator).post(reverse("moderation:crisis_acknowledge", args=[spam.pk])).status_code == 404
    assert login(pots_moderator).post(reverse("moderation:crisis_acknowledge", args=[99999])).status_code == 404
    assert Flag.objects.get(pk=crisis_item.pk).acknowledged_at is None


def test_a_decision_on_an_untaken_crisis_item_counts_as_taking_it(crisis_item, moderator):
    post_remove(acting_user=moderator, post=Discussion.objects.get(pk=crisis_item.discussion_id), reason="At risk")
    crisis_item.refresh_from_db()
    assert crisis_item.status == Flag.Status.ACTIONED
    assert crisis_item.acknowledged_by == moderator
    assert crisis_item.acknowledged_at == crisis_item.decided_at


def test_a_decision_keeps_who_took_it_first(crisis_item, moderator, other_moderator):
    crisis_flag_acknowledge(acting_user=moderator, flag=crisis_item)
    post_remove(acting_user=other_moderator, post=Discussion.objects.get(pk=crisis_item.discussion_id))
    crisis_item.refresh_from_db()
    assert crisis_item.acknowledged_by == moderator and crisis_item.decided_by == other_moderator


# --- Escalation ------------------------------------------------------------------------------


def test_an_alert_nobody_takes_escalates_to_all_staff_once(
    crisis_item, moderator, staff, second_staff, settings, django_capture_on_commit_callbacks
):
    settings.CRISIS_ESCALATION_MINUTES = 15
    alerted = crisis_item.alerted_at
    with django_capture_on_commit_callbacks(execute=True):
        assert crisis_escalate_due(now=alerted + timedelta(minutes=14)) == 0
    assert alerts(staff, Kind.CRISIS_ESCALATION) == []

    with django_capture_on_commit_callbacks(execute=True):
        assert crisis_escalate_due(now=alerted + timedelta(minutes=15, seconds=1)) == 1
    for person in (staff, second_staff):
        (escalation,) = alerts(person, Kind.CRISIS_ESCALATION)
        assert escalation.url == reverse("moderation:queue") and escalation.in_app
    assert alerts(moderator, Kind.CRISIS_ESCALATION) == []
    assert sorted(message.to[0] for message in mail.outbox) == sorted([staff.email, second_staff.email])
    for message in mail.outbox:
        assert_no_private_text(message)
        assert "List-Unsubscribe" not in message.extra_headers
    crisis_item.refresh_from_db()
    assert crisis_item.escalated_at == alerted + timedelta(minutes=15, seconds=1)

    # The next minute's run, and one much later, escalate nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        assert crisis_escalate_due(now=alerted + timedelta(minutes=16)) == 0
        assert crisis_escalate_due(now=alerted + timedelta(hours=5)) == 0
    assert len(alerts(staff, Kind.CRISIS_ESCALATION)) == 1 and len(mail.outbox) == 2


def test_the_escalation_time_is_a_setting(crisis_item, staff, settings):
    settings.CRISIS_ESCALATION_MINUTES = 5
    assert crisis_escalate_due(now=crisis_item.alerted_at + timedelta(minutes=6)) == 1


def test_a_taken_or_decided_alert_does_not_escalate(crisis_item, moderator, staff, members, discussion):
    crisis_flag_acknowledge(acting_user=moderator, flag=crisis_item)
    later = timezone.now() + timedelta(hours=1)
    assert crisis_escalate_due(now=later) == 0

    # A crisis flag on another post, decided before its time was up.
    flag = Flag.objects.create(
        discussion=discussion, reason=Flag.Reason.CRISIS, alerted_at=timezone.now(), flagger=members[1]
    )
    post_remove(acting_user=moderator, post=discussion)
    assert crisis_escalate_due(now=later) == 0
    assert Flag.objects.get(pk=flag.pk).escalated_at is None
    assert alerts(staff, Kind.CRISIS_ESCALATION) == []


def test_the_queue_says_when_an_item_was_sent_to_all_staff(login, crisis_item, staff):
    crisis_escalate_due(now=crisis_item.alerted_at + timedelta(minutes=20))
    page = login(staff).get(reverse("moderation:queue")).content.decode()
    assert "not yet acknowledged" in page and "sent to all staff at" in page


def test_escalation_is_scheduled_every_minute():
    (entry,) = [entry for entry in SCHEDULES if entry.job == "moderation.crisis_alerts.crisis_escalate_due"]
    assert entry.cron == "* * * * *"


# --- Response times, for the dashboard ------------------------------------------------------


def test_response_times_are_the_earlier_of_taking_and_deciding(crisis_item, moderator, pots_moderator, discussion):
    crisis_flag_acknowledge(acting_user=moderator, flag=crisis_item)
    crisis_item.refresh_from_db()
    untaken = Flag.objects.create(discussion=discussion, reason=Flag.Reason.CRISIS, alerted_at=timezone.now())
    old = Flag.objects.create(discussion=discussion, reason=Flag.Reason.CRISIS)
    Flag.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    untaken.refresh_from_db()

    since = timezone.now() - timedelta(days=30)
    times = crisis_response_times(moderation_scope_for(moderator), since)
    assert times == [(crisis_item.created_at, crisis_item.acknowledged_at), (untaken.created_at, None)]
    assert crisis_response_times(moderation_scope_for(pots_moderator), since) == []
