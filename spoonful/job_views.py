"""The staff page for background jobs: counts, what failed and why, retry, and the schedule table."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import privileged_action_requires_2fa, staff_required_404
from spoonful import jobs
from spoonful.schedules import SCHEDULES


@require_safe
@staff_required_404
@privileged_action_requires_2fa
def job_overview(request: HttpRequest) -> HttpResponse:
    described = {jobs.SCHEDULE_PREFIX + entry.name: entry.what for entry in SCHEDULES}
    schedules = [(schedule, described.get(schedule.name, "")) for schedule in jobs.schedule_list()]
    heartbeat = jobs.last_heartbeat()
    context = {
        "counts": jobs.job_counts(),
        "last_error": jobs.last_error(),
        "failed": list(jobs.failed_job_list()),
        "schedules": schedules,
        "heartbeat": heartbeat,
        "heartbeat_age": int((timezone.now() - heartbeat).total_seconds()) if heartbeat else None,
    }
    return render(request, "spoonful/jobs.html", context)


@require_POST
@staff_required_404
@privileged_action_requires_2fa
def job_retry(request: HttpRequest, task_id: str) -> HttpResponse:
    jobs.job_retry(acting_user=request.user, task_id=task_id)
    messages.success(request, "The job is queued again; it starts from its first attempt.")
    return redirect("job_overview")
