"""Real workers (`manage.py qcluster` processes) against the test database: a job outlives a
worker killed in the middle of it, and a failing job is retried with a growing pause, then
handed to staff, whose retry runs it again."""

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django_q.models import Failure, OrmQ, Success

from notifications.models import Notification
from spoonful import jobs
from tests.helpers import sample_jobs
from tests.helpers.workers import Worker, wait_for

# Short enough for a test, in the same proportions as production (retry > timeout).
FAST = {"JOB_TIMEOUT_SECONDS": "5", "JOB_RETRY_SECONDS": "6", "JOB_FIRST_RETRY_SECONDS": "1", "JOB_MAX_ATTEMPTS": "3"}


@pytest.fixture
def durable(settings):
    settings.JOBS_IMMEDIATE = False


@pytest.fixture
def workers(tmp_path):
    started = []

    def start(**environment: str) -> Worker:
        worker = Worker(tmp_path / f"worker-{len(started)}.log", **{**FAST, **environment})
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _emails_in(directory: Path) -> int:
    return sum(path.read_text().count("\nSubject: ") for path in directory.glob("*.log"))


def test_a_job_whose_worker_is_killed_mid_way_completes_after_restart_and_emails_once(
    transactional_db, durable, workers, tmp_path, member
):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    notification = Notification.objects.create(
        recipient=member,
        kind=Notification.Kind.VERIFICATION_DECISION,
        message="Your professional verification was approved",
        url="/",
        email_status=Notification.EmailStatus.IMMEDIATE,
    )
    started, release = tmp_path / "started", tmp_path / "release"
    with transaction.atomic():
        jobs.enqueue(sample_jobs.emails_once_released, str(started), str(release), [notification.pk])

    first = workers(EMAIL_URL=f"filemail:///{outbox}")
    wait_for(started.exists, "the job to start", first)
    first.kill()
    assert OrmQ.objects.count() == 1, "the killed worker's job is still queued"
    assert _emails_in(outbox) == 0

    release.touch()
    second = workers(EMAIL_URL=f"filemail:///{outbox}")
    wait_for(lambda: not OrmQ.objects.exists(), "the job to finish", second, timeout=40)
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT
    assert _emails_in(outbox) == 1


def test_a_failing_job_is_retried_with_a_growing_pause_then_staff_retry_it(
    transactional_db, durable, workers, tmp_path, client, staff
):
    fixed = tmp_path / "fixed"
    with transaction.atomic():
        jobs.enqueue(sample_jobs.fails_until_fixed, str(fixed))
    worker = workers()

    wait_for(lambda: Failure.objects.filter(attempt_count=1).exists(), "the first failure", worker)
    first_failure = Failure.objects.get()
    waiting = OrmQ.objects.get()
    # Paused for the first backoff (1 s), not for the 6 s a dead worker's job waits.
    assert waiting.lock - first_failure.stopped < timedelta(seconds=3)

    wait_for(lambda: Failure.objects.filter(attempt_count=3).exists(), "the last attempt", worker)
    wait_for(lambda: not OrmQ.objects.exists(), "the queue to let go of it", worker)
    client.force_login(staff)
    page = client.get("/staff/jobs/").content.decode()
    assert "tests.helpers.sample_jobs.fails_until_fixed" in page
    assert "the mail server said no" in page
    assert jobs.job_counts().failed == 1

    fixed.touch()
    response = client.post(f"/staff/jobs/{first_failure.id}/retry/")
    assert response.status_code == 302
    wait_for(
        lambda: Success.objects.filter(func="tests.helpers.sample_jobs.fails_until_fixed").exists(),
        "the retried job to succeed",
        worker,
    )
    assert not Failure.objects.exists()
    assert jobs.job_counts().failed == 0


def test_job_workers_stop_cleanly_when_their_whole_process_group_is_told_to(transactional_db, tmp_path):
    """honcho and systemd signal the whole group; a bare qcluster then hangs until it is killed."""
    worker = Worker(tmp_path / "job-workers.log", command="job_workers")
    try:
        wait_for(lambda: "running." in worker.log(), "the cluster to run", worker)
        os.killpg(worker.process.pid, signal.SIGTERM)
        assert worker.process.wait(timeout=30) == 0
        assert "has stopped." in worker.log()
    finally:
        worker.stop()
