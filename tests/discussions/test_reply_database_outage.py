"""The database stops answering in the middle of posting a reply: the member gets a clear page,
and nothing is half-done: no reply without its jobs, no job without its reply."""

import pytest
from django.db import OperationalError
from django_q.brokers.orm import ORM
from django_q.models import OrmQ

from discussions.models import Reply, Visibility
from tests.helpers.discovery import make_community, make_discussion

pytestmark = pytest.mark.django_db


def test_a_reply_whose_jobs_cannot_be_queued_is_not_posted_and_the_member_is_told(
    settings, client, member, other_member, monkeypatch
):
    settings.JOBS_IMMEDIATE = False
    mecfs = make_community("mecfs", members=(member, other_member))
    discussion = make_discussion(
        member, "Dizzy spells", "Any tips?", visibility=Visibility.PUBLIC, communities=(mecfs,)
    )
    OrmQ.objects.all().delete()
    client.force_login(other_member)

    def connection_lost(self, task):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ORM, "enqueue", connection_lost)
    response = client.post(f"/d/{discussion.pk}/reply/", {"body": "Salt and water help me", "submission_token": "t1"})

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "was not saved" in response.content.decode()
    assert not Reply.objects.filter(discussion=discussion).exists()
    assert not OrmQ.objects.exists()
    discussion.refresh_from_db()
    assert discussion.published_reply_count == 0 and discussion.last_reply_number == 0

    monkeypatch.undo()
    settings.JOBS_IMMEDIATE = False
    again = client.post(f"/d/{discussion.pk}/reply/", {"body": "Salt and water help me", "submission_token": "t1"})
    assert again.status_code == 302
    assert Reply.objects.filter(discussion=discussion).count() == 1
    assert "notifications.services.notify_reply_created" in [row.func() for row in OrmQ.objects.all()]
