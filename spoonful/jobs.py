"""Follow-up work: enqueued with the change that causes it, run by workers, retried, never lost.

The job API services use is ``enqueue(job, *args)``, called inside their transaction. The queue is django-q2's
ORM broker: a table in the site's own database, so a job commits or rolls back with the change that causes it. A
crash after the commit cannot lose it, and a rollback cannot send it. Workers (``manage.py qcluster``, started by
``make run`` beside the server) take jobs from that table, on as many machines as share the database.

A job that raises is tried again with a growing pause (``backoff_seconds``) until ``Q_CLUSTER["max_attempts"]``.
What still fails stays on the staff page (/staff/jobs/), where it can be retried. A worker killed in the middle
of a job leaves it locked until ``Q_CLUSTER["retry"]`` seconds have passed; then another worker takes it.
Every job therefore may run more than once, and each one is written to make a second run change nothing.

With ``JOBS_IMMEDIATE`` (the test settings), a job runs in this process once the transaction commits. Its
arguments first make the same round trip through the queue's serialiser, so a job that could not be queued
fails in tests too.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Failure, OrmQ, Schedule, Success, Task
from django_q.signals import post_execute_in_worker
from django_q.signing import SignedPackage
from django_q.tasks import async_task

logger = logging.getLogger(__name__)

# Schedules declared in spoonful/schedules.py carry this prefix; one made any other way is left alone.
SCHEDULE_PREFIX = "spoonful:"
# One-off schedules made by enqueue_debounced; the scheduler deletes each once it has queued its job.
DEBOUNCE_PREFIX = "debounce:"
# Enough to tell running from retrying on any page staff would look at; a queue this long is its own alarm.
QUEUE_ROWS_READ = 500
LONGEST_RETRY_SECONDS = 30 * 60


def job_name(job: Callable) -> str:
    return f"{job.__module__}.{job.__qualname__}"


def enqueue(job: Callable, *args) -> str | None:
    """Queue ``job(*args)`` in the current transaction; returns the job's id (None when run immediately)."""
    if settings.JOBS_IMMEDIATE:
        job, args = SignedPackage.loads(SignedPackage.dumps((job, args)))
        transaction.on_commit(partial(job, *args))
        return None
    return async_task(job, *args, q_options={"task_name": job_name(job)})


def enqueue_debounced(job: Callable, arg: int | str, *, seconds: int) -> None:
    """Queue ``job(arg)`` to run ``seconds`` from now unless one for the same ``arg`` is already
    waiting: a burst of changes costs one run. Kept as a one-off schedule, so it is as durable as
    any job and the workers' scheduler starts it."""
    if settings.JOBS_IMMEDIATE:
        enqueue(job, arg)
        return
    name = f"{DEBOUNCE_PREFIX}{job_name(job)}:{arg}"
    if Schedule.objects.filter(name=name).exists():
        return
    Schedule.objects.create(
        name=name,
        func=job_name(job),
        args=repr((arg,)),
        schedule_type=Schedule.ONCE,
        next_run=timezone.now() + timedelta(seconds=seconds),
    )


def backoff_seconds(attempt: int) -> int:
    """The pause after the ``attempt``-th failure: 30 s, 1 min, 2 min, ... at most 30 min."""
    return min(settings.JOBS_FIRST_RETRY_SECONDS * 2 ** (attempt - 1), LONGEST_RETRY_SECONDS)


@receiver(post_execute_in_worker)
def _pause_before_the_next_attempt(sender, func, task, **kwargs) -> None:
    """A failed job stays in the queue, locked for ``Q_CLUSTER["retry"]`` seconds; lock it for the backoff
    pause instead, so a job failing because something is down is not tried again at a fixed beat."""
    if task.get("success") or not task.get("ack_id"):
        return
    earlier_attempts = Task.objects.filter(id=task["id"]).values_list("attempt_count", flat=True).first() or 0
    pause = backoff_seconds(earlier_attempts + 1)
    OrmQ.objects.using(Conf.ORM).filter(pk=task["ack_id"]).update(lock=timezone.now() + timedelta(seconds=pause))


def heartbeat() -> str:
    """Scheduled every minute: its last success is the worker heartbeat /healthz reports."""
    return timezone.now().isoformat()


# --- What staff see (/staff/jobs/) ------------------------------------------------------


@dataclass(frozen=True)
class JobCounts:
    queued: int
    running: int
    retrying: int
    failed: int


def _queued_ids(queue: QuerySet[OrmQ]) -> set[str]:
    return {row.task_id() for row in queue[:QUEUE_ROWS_READ]}


def _given_up() -> QuerySet[Failure]:
    """Failed jobs no longer in the queue: every attempt used (a job still waiting out a pause is queued)."""
    return Failure.objects.exclude(id__in=_queued_ids(OrmQ.objects.using(Conf.ORM)))


def job_counts() -> JobCounts:
    """Jobs waiting for a worker, being run, waiting out a retry pause, and given up on."""
    now = timezone.now()
    queue = OrmQ.objects.using(Conf.ORM)
    locked_ids = _queued_ids(queue.filter(lock__gt=now))
    retrying = Failure.objects.filter(id__in=locked_ids).count()
    return JobCounts(
        queued=queue.filter(lock__lte=now).count(),
        running=len(locked_ids) - retrying,
        retrying=retrying,
        failed=_given_up().count(),
    )


def failed_job_list(limit: int = 50) -> QuerySet[Failure]:
    """Jobs that used up every attempt, newest first: what staff retry or look into."""
    return _given_up().order_by("-stopped")[:limit]


def last_error() -> str | None:
    failure = Failure.objects.order_by("-stopped").only("result", "func", "stopped").first()
    if failure is None:
        return None
    return f"{failure.func}: {str(failure.result).strip().splitlines()[0] if failure.result else 'no message'}"


def last_heartbeat() -> datetime | None:
    return (
        Success.objects.filter(func=job_name(heartbeat)).order_by("-stopped").values_list("stopped", flat=True).first()
    )


def job_retry(*, acting_user, task_id: str) -> str:
    """Queue a given-up job again, from its first attempt; the failure record goes, the log keeps who retried."""
    failure = get_object_or_404(_given_up(), id=task_id)
    new_id = async_task(failure.func, *(failure.args or ()), q_options={"task_name": failure.name})
    logger.info("staff member %s retried job %s (%s) as %s", acting_user.pk, failure.id, failure.func, new_id)
    failure.delete()
    return new_id


def schedule_list() -> QuerySet[Schedule]:
    return Schedule.objects.filter(name__startswith=SCHEDULE_PREFIX).order_by("next_run")
