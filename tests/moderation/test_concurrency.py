"""Two moderators acting on the same item at the same moment (catalog CC-02, CC-06).

Runs on PostgreSQL only: SQLite has no row locks (``select_for_update`` is a
no-op there) and serialises whole-database writes instead, so a race test on it
would prove nothing about the locking code.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from discussions.models import Reply
from moderation import crisis_alerts, member_actions, post_actions
from moderation.audit import AlreadyHandled, record_action
from moderation.flags import flag_create
from moderation.member_actions import member_ban
from moderation.models import Flag, ModerationAction, ModerationNotice, Sanction
from moderation.post_actions import Seen, flags_dismiss, post_approve, post_remove
from notifications.models import Notification

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="select_for_update has no effect on SQLite; run with DATABASE_URL=postgres://... to test the race",
    ),
]


def race(monkeypatch, *calls):
    """Run the calls in threads that start together; each holds its row lock a moment before writing."""

    def slow_record(**kwargs):
        time.sleep(0.3)  # keep the lock held so the other thread really waits on it
        return record_action(**kwargs)

    # Where the raced actions look the audit step up.
    monkeypatch.setattr(post_actions, "record_action", slow_record)
    monkeypatch.setattr(member_actions, "record_action", slow_record)
    monkeypatch.setattr(crisis_alerts, "record_action", slow_record)
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # the loser's AlreadyHandled is an outcome too
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return outcomes


def test_two_moderators_removing_the_same_reply_one_wins(monkeypatch, moderator, other_moderator, reply):
    outcomes = race(
        monkeypatch,
        lambda: post_remove(acting_user=moderator, post=Reply.objects.get(pk=reply.pk), reason="A"),
        lambda: post_remove(acting_user=other_moderator, post=Reply.objects.get(pk=reply.pk), reason="B"),
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, ModerationAction)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, AlreadyHandled)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "Already handled" in losers[0].message
    assert ModerationAction.objects.count() == 1
    assert Reply.objects.get(pk=reply.pk).status == Reply.Status.REMOVED


def test_remove_and_dismiss_of_the_same_flag_at_once_one_wins(monkeypatch, moderator, other_moderator, member, reply):
    flag_create(flagger=member, post=reply, reason=Flag.Reason.SPAM)
    seen = Seen(status="published", had_open_flags=True)
    outcomes = race(
        monkeypatch,
        lambda: post_remove(acting_user=moderator, post=Reply.objects.get(pk=reply.pk), seen=seen),
        lambda: flags_dismiss(acting_user=other_moderator, post=Reply.objects.get(pk=reply.pk), seen=seen),
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, ModerationAction)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, AlreadyHandled)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    flag = Flag.objects.get()
    entry = ModerationAction.objects.get()
    assert entry.pk == winners[0].pk
    if entry.kind == ModerationAction.Kind.REMOVE:
        assert flag.status == Flag.Status.ACTIONED
        assert Reply.objects.get(pk=reply.pk).status == Reply.Status.REMOVED
    else:
        assert flag.status == Flag.Status.DISMISSED
        assert Reply.objects.get(pk=reply.pk).status == Reply.Status.PUBLISHED


def test_approve_and_remove_of_a_held_post_at_once_one_wins(monkeypatch, moderator, other_moderator, reply):
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.HELD)
    seen = Seen(status="held")
    outcomes = race(
        monkeypatch,
        lambda: post_approve(acting_user=moderator, post=Reply.objects.get(pk=reply.pk), seen=seen),
        lambda: post_remove(acting_user=other_moderator, post=Reply.objects.get(pk=reply.pk), seen=seen),
    )
    assert sum(isinstance(outcome, ModerationAction) for outcome in outcomes) == 1, outcomes
    assert sum(isinstance(outcome, AlreadyHandled) for outcome in outcomes) == 1, outcomes
    assert ModerationAction.objects.count() == 1


def test_two_bans_of_the_same_member_at_once_make_one_sanction(monkeypatch, moderator, other_moderator, members, mecfs):
    author, _ = members
    outcomes = race(
        monkeypatch,
        lambda: member_ban(acting_user=moderator, user=author, community=mecfs),
        lambda: member_ban(acting_user=other_moderator, user=author, community=mecfs),
    )
    assert sum(isinstance(outcome, AlreadyHandled) for outcome in outcomes) == 1, outcomes
    assert author.sanctions.count() == 1
    assert ModerationAction.objects.count() == 1


def test_two_moderators_lifting_the_same_ban_one_wins(monkeypatch, moderator, other_moderator, members, mecfs):
    author, _ = members
    ban = Sanction.objects.get(pk=member_ban(acting_user=moderator, user=author, community=mecfs).after["sanction_id"])
    outcomes = race(
        monkeypatch,
        lambda: member_actions.sanction_lift(acting_user=moderator, sanction=ban, reason="A"),
        lambda: member_actions.sanction_lift(acting_user=other_moderator, sanction=ban, reason="B"),
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, ModerationAction)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, AlreadyHandled)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert ModerationAction.objects.filter(kind=ModerationAction.Kind.LIFT).count() == 1
    assert ModerationNotice.objects.filter(user=author, action=winners[0]).count() == 1


def test_two_moderators_taking_the_same_crisis_alert_one_wins(monkeypatch, moderator, other_moderator, discussion):
    flag = Flag.objects.create(discussion=discussion, reason=Flag.Reason.CRISIS)
    outcomes = race(
        monkeypatch,
        lambda: crisis_alerts.crisis_flag_acknowledge(acting_user=moderator, flag=Flag.objects.get(pk=flag.pk)),
        lambda: crisis_alerts.crisis_flag_acknowledge(acting_user=other_moderator, flag=Flag.objects.get(pk=flag.pk)),
    )
    winners = [outcome for outcome in outcomes if isinstance(outcome, Flag)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, AlreadyHandled)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    flag.refresh_from_db()
    assert flag.acknowledged_by == winners[0].acknowledged_by
    assert f"{flag.acknowledged_by.public_name} is on it" in losers[0].message
    assert ModerationAction.objects.filter(kind=ModerationAction.Kind.CRISIS_ACKNOWLEDGE).count() == 1


def test_two_escalation_runs_at_once_escalate_once(monkeypatch, staff, discussion):
    flag = Flag.objects.create(discussion=discussion, reason=Flag.Reason.CRISIS, alerted_at=timezone.now())
    later = timezone.now() + timedelta(hours=1)
    sent = crisis_alerts.notify_crisis_escalation

    def slow_notify(**kwargs):
        time.sleep(0.3)  # hold the flags' locks while the other run waits on them
        return sent(**kwargs)

    monkeypatch.setattr(crisis_alerts, "notify_crisis_escalation", slow_notify)
    outcomes = race(
        monkeypatch,
        lambda: crisis_alerts.crisis_escalate_due(now=later),
        lambda: crisis_alerts.crisis_escalate_due(now=later),
    )
    assert sorted(outcomes) == [0, 1], outcomes
    assert Flag.objects.get(pk=flag.pk).escalated_at == later
    assert Notification.objects.filter(recipient=staff, kind=Notification.Kind.CRISIS_ESCALATION).count() == 1
