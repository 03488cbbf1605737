"""IP records are kept 90 days (DA-07), and nothing of a closed account lingers (DA-04, AH-09)."""

from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from taggit.models import Tag

from accounts.retention import IP_RECORD_RETENTION_DAYS, account_erasure_sweep, ip_record_delete_old
from discussions import events
from notifications.models import Notification

pytestmark = pytest.mark.django_db
PRIVATE_PAGE = "/settings/privacy/"


def _signed_in(user, *, ip: str | None = None, seen_days_ago: float = 0) -> Client:
    """A browser signed in as ``user``; with ``ip``, allauth's record of that session too."""
    client = Client()
    client.force_login(user)
    if ip is not None:
        UserSession.objects.create(
            user=user,
            session_key=client.session.session_key,
            ip=ip,
            user_agent="Firefox",
            last_seen_at=timezone.now() - timedelta(days=seen_days_ago),
        )
    return client


@pytest.fixture
def told(monkeypatch) -> list[dict]:
    calls = []
    monkeypatch.setattr(events, "access_changed", lambda **kwargs: calls.append(kwargs))
    return calls


def test_an_ip_record_older_than_90_days_goes_with_its_session(member, other_member, told):
    old = _signed_in(member, ip="203.0.113.5", seen_days_ago=IP_RECORD_RETENTION_DAYS + 1)
    old_key = old.session.session_key
    young = _signed_in(other_member, ip="198.51.100.7", seen_days_ago=IP_RECORD_RETENTION_DAYS - 1)
    expired = SessionStore()
    expired.set_expiry(timezone.now() - timedelta(minutes=1))
    expired.create()

    assert ip_record_delete_old() == 1
    assert ip_record_delete_old() == 0

    assert list(UserSession.objects.values_list("ip", flat=True)) == ["198.51.100.7"]
    assert not Session.objects.filter(session_key__in=[old_key, expired.session_key]).exists()
    assert old.get(PRIVATE_PAGE).status_code == 302
    assert young.get(PRIVATE_PAGE).status_code == 200
    # Its open sockets close: the session is named as ended.
    assert told == [{"user_id": member.pk, "ended_session_key": old_key}]


def test_the_sweep_closes_what_a_deactivated_account_left(member, other_member):
    tracked = _signed_in(member, ip="203.0.113.5")
    untracked = _signed_in(member)
    keys = [tracked.session.session_key, untracked.session.session_key]
    still_here = _signed_in(other_member, ip="198.51.100.7")
    member.is_active = False
    member.save(update_fields=["is_active"])
    for recipient in (member, other_member):
        Notification.objects.create(
            recipient=recipient,
            kind=Notification.Kind.MODERATION_DECISION,
            message="A moderator approved your discussion.",
            email_status=Notification.EmailStatus.DIGEST,
        )
    Tag.objects.create(name="onlyhers", slug="onlyhers")

    # One email cancelled, two sessions ended, one hashtag deleted.
    assert account_erasure_sweep() == 4
    assert account_erasure_sweep() == 0

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=member).exists()
    assert still_here.get(PRIVATE_PAGE).status_code == 200
    assert UserSession.objects.filter(user=other_member).exists()
    waiting = dict(Notification.objects.values_list("recipient_id", "email_status"))
    assert waiting == {member.pk: Notification.EmailStatus.SKIPPED, other_member.pk: Notification.EmailStatus.DIGEST}
    assert not Tag.objects.filter(name="onlyhers").exists()
