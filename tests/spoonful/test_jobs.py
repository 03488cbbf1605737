"""The job API: enqueued with the change, run after it commits, retried with a growing pause,
given-up jobs shown to staff, schedules declared in code and fired by the workers' clock."""

import pickle
import pydoc
from datetime import datetime, timedelta
from pathlib import Path

import django_q.models
import django_q.scheduler
import django_q.utils
import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from django_q.scheduler import scheduler

from notifications.models import Notification
from notifications.preferences import digest_time_set
from spoonful import jobs
from spoonful.schedules import PREFIX, SCHEDULES, schedule_table_markdown, schedules_sync
from tests.helpers import sample_jobs
from tests.helpers.jobs import queued_job_names, run_queued_jobs


@pytest.fixture
def durable(settings):
    """Jobs go to the queue table, as in production, instead of running in this process."""
    settings.JOBS_IMMEDIATE = False


def test_a_job_is_queued_with_the_change_and_a_rollback_drops_it(db, durable, tmp_path):
    flag = str(tmp_path / "fixed")
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.enqueue(sample_jobs.fails_until_fixed, flag)
        raise RuntimeError("the change failed")
    assert OrmQ.objects.count() == 0

    with transaction.atomic():
        jobs.enqueue(sample_jobs.fails_until_fixed, flag)
    assert queued_job_names() == ["tests.helpers.sample_jobs.fails_until_fixed"]
    assert OrmQ.objects.get().task["args"] == (flag,)


def test_in_tests_a_job_runs_only_once_the_transaction_commits(db, tmp_path, django_capture_on_commit_callbacks):
    started, release = tmp_path / "started", tmp_path / "release"
    release.touch()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        jobs.enqueue(sample_jobs.emails_once_released, str(started), str(release), [])
        assert not started.exists()
    assert len(callbacks) == 1
    assert started.exists()


def test_a_job_whose_arguments_could_not_be_queued_fails_in_tests_too(db):
    with pytest.raises((pickle.PicklingError, TypeError, AttributeError)):
        jobs.enqueue(sample_jobs.fails_until_fixed, lambda: "a lambda cannot be queued")


def test_the_pause_between_attempts_doubles_up_to_half_an_hour(settings):
    settings.JOBS_FIRST_RETRY_SECONDS = 30
    assert [jobs.backoff_seconds(attempt) for attempt in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1800, 1800]


# --- Schedules ----------------------------------------------------------------------------


def test_every_scheduled_job_names_a_function_that_exists():
    for entry in SCHEDULES:
        assert callable(pydoc.locate(entry.job)), entry.job


def test_syncing_schedules_matches_the_code_and_leaves_other_schedules_alone(db):
    Schedule.objects.create(name=PREFIX + "retired", func="spoonful.jobs.heartbeat", schedule_type=Schedule.HOURLY)
    Schedule.objects.create(name="made-in-a-shell", func="spoonful.jobs.heartbeat", schedule_type=Schedule.HOURLY)
    schedules_sync()
    schedules_sync()
    ours = Schedule.objects.filter(name__startswith=PREFIX)
    assert sorted(ours.values_list("name", flat=True)) == sorted(PREFIX + entry.name for entry in SCHEDULES)
    assert Schedule.objects.filter(name="made-in-a-shell").exists()


def _frozen(monkeypatch, when: datetime) -> None:
    class FrozenClock:
        @staticmethod
        def now():
            return when

    monkeypatch.setattr(django_q.scheduler, "timezone", FrozenClock)
    monkeypatch.setattr(django_q.utils, "localtime", lambda value=None: when)
    monkeypatch.setattr(django_q.scheduler, "localtime", lambda value=None: when)
    monkeypatch.setattr(django_q.models, "localtime", lambda value=None: when)
    # A worker's scheduler starts each turn on a fresh connection; here it shares the test's.
    monkeypatch.setattr(django_q.scheduler, "close_old_django_connections", lambda: None)


def test_the_daily_digest_fires_at_its_time_once_even_with_two_workers(db, durable, monkeypatch, settings, member):
    digest_time_set(user=member, hour=0, time_zone="UTC")  # due whatever the hour the test runs at
    schedules_sync()
    digest = Schedule.objects.get(name=PREFIX + "notification-digests")
    waiting = Notification.objects.create(
        recipient=member,
        kind=Notification.Kind.MENTION,
        message="You were mentioned",
        url="/",
        email_status=Notification.EmailStatus.DIGEST,
        in_app=True,
    )

    _frozen(monkeypatch, digest.next_run + timedelta(seconds=30))
    scheduler()  # the first worker's scheduler takes the turn
    scheduler()  # the second worker's finds nothing due
    assert queued_job_names().count("notifications.emails.send_digests") == 1

    run_queued_jobs()
    run_queued_jobs()
    assert [message.to for message in mail.outbox] == [[member.email]]
    waiting.refresh_from_db()
    assert waiting.email_status == Notification.EmailStatus.SENT


# --- The staff page -------------------------------------------------------------------------


def test_the_jobs_page_is_for_staff_with_two_factor(client, member, user_factory):
    client.force_login(member)
    assert client.get("/staff/jobs/").status_code == 404
    staff_without_2fa = user_factory("kim", is_staff=True)
    client.force_login(staff_without_2fa)
    response = client.get("/staff/jobs/")
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]


def test_staff_see_counts_schedules_and_the_last_heartbeat(client, staff):
    schedules_sync()
    client.force_login(staff)
    page = client.get("/staff/jobs/").content.decode()
    assert "Waiting for a worker" in page and "Failed after every attempt" in page
    assert "spoonful:notification-digests" in page and "daily email digests" in page
    assert "none yet: no worker has run" in page
    assert 'href="/staff/jobs/"' in client.get("/mod/").content.decode(), "staff reach it from the moderation pages"


def test_healthz_reports_the_worker_heartbeat_without_failing_on_it(client, db):
    body = client.get("/healthz").json()
    assert body["workers"] == {"status": "no heartbeat yet", "last_heartbeat_age_seconds": None}
    assert body["status"] == "ok"


@pytest.mark.parametrize(("age", "status"), [(30, "ok"), (400, "stale")])
def test_healthz_reports_how_long_ago_a_worker_last_beat(client, db, age, status):
    beat = timezone.now() - timedelta(seconds=age)
    Task.objects.create(
        id="beat", name="beat", func=jobs.job_name(jobs.heartbeat), started=beat, stopped=beat, success=True
    )
    body = client.get("/healthz").json()
    assert body["workers"]["status"] == status
    assert age <= body["workers"]["last_heartbeat_age_seconds"] <= age + 5
    assert body["status"] == "ok", "a stale worker is reported, never a reason to take the site out"


def test_the_readme_lists_the_schedules_declared_in_code():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    between = readme.split("<!-- schedules:start -->\n", 1)[1].split("<!-- schedules:end -->", 1)[0]
    assert between.strip() == schedule_table_markdown(), "paste schedule_table_markdown() into README.md"
