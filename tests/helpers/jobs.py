"""A test worker: run what is queued, in this process, as a worker would."""

import pydoc

from django_q.models import OrmQ


def queued_job_names() -> list[str]:
    return [row.func() for row in OrmQ.objects.order_by("pk")]


def run_queued_jobs() -> int:
    """Run every queued job once, oldest first, taking each off the queue when it succeeds; a job
    that raises stays queued (as a worker leaves it for its next attempt) and the error propagates."""
    ran = 0
    for row in OrmQ.objects.order_by("pk"):
        task = row.task
        job = task["func"] if callable(task["func"]) else pydoc.locate(task["func"])
        assert callable(job), f"no job named {task['func']}"
        job(*task["args"], **task["kwargs"])
        row.delete()
        ran += 1
    return ran
