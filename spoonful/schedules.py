"""What the workers run on a clock, declared here and nowhere else.

``schedules_sync`` writes this table into django-q2's schedules after every ``migrate``; the workers' scheduler
runs each entry at its time, and a schedule missed while every worker was down runs once when one comes back
(``catch_up`` is off). The staff page (/staff/jobs/) shows the table with each entry's next and last run. Every job
here is safe to run twice: two workers racing for the same turn, or an operator running the matching command by
hand, change nothing the first run did not.
"""

from dataclasses import dataclass

from django.db import transaction
from django_q.models import Schedule

from spoonful.jobs import SCHEDULE_PREFIX as PREFIX


@dataclass(frozen=True)
class Scheduled:
    name: str
    job: str
    cron: str
    what: str


SCHEDULES = (
    Scheduled("worker-heartbeat", "spoonful.jobs.heartbeat", "* * * * *", "proves a worker is alive (/healthz)"),
    Scheduled(
        "crisis-escalation",
        "moderation.crisis_alerts.crisis_escalate_due",
        "* * * * *",
        "sends a crisis alert nobody took within CRISIS_ESCALATION_MINUTES to all staff, once",
    ),
    Scheduled(
        "queue-age-alerts",
        "moderation.work_alerts.queue_age_alerts_send",
        "*/15 * * * *",
        "tells a community's moderators when its oldest queue item waited past QUEUE_ALERT_HOURS, once per window",
    ),
    Scheduled(
        "notification-digests",
        "notifications.emails.send_digests",
        "2 * * * *",
        "daily email digests, each at the hour its member chose in their time zone; one a day at most",
    ),
    Scheduled(
        "held-notification-emails",
        "notifications.emails.send_held",
        "*/15 * * * *",
        "sends the emails that waited for their member's quiet hours to end",
    ),
    Scheduled(
        "verification-expiry",
        "accounts.verification.verification_expire_due",
        "15 3 * * *",
        "ends professional verifications past their expiry date",
    ),
    Scheduled(
        "verification-warnings",
        "accounts.verification.verification_warn_expiring",
        "20 3 * * *",
        "warns holders 30 days before their verification expires",
    ),
    Scheduled(
        "export-retention",
        "accounts.data_export.data_export_delete_expired",
        "30 3 * * *",
        "deletes data-export archives after their 7 days",
    ),
    Scheduled(
        "redaction-retention",
        "moderation.post_actions.moderation_purge_expired",
        "45 3 * * *",
        "drops redacted originals from the audit trail after 90 days",
    ),
    Scheduled(
        "draft-retention",
        "discussions.retention.draft_delete_stale",
        "0 4 * * *",
        "deletes drafts not saved for 90 days",
    ),
    Scheduled(
        "tombstone-retention",
        "discussions.retention.tombstone_purge_expired",
        "10 4 * * *",
        "empties posts deleted by their author 30 days ago or removed by moderators 90 days ago (no open appeal)",
    ),
    Scheduled(
        "notification-retention",
        "notifications.retention.notification_delete_old",
        "20 4 * * *",
        "deletes read notifications after 180 days and any notification after 365 days",
    ),
    Scheduled(
        "ip-record-retention",
        "accounts.retention.ip_record_delete_old",
        "30 4 * * *",
        "deletes session records (IP, user agent) after 90 days, ending their sessions; clears expired sessions",
    ),
    Scheduled(
        "account-erasure-sweep",
        "accounts.retention.account_erasure_sweep",
        "40 4 * * *",
        "cancels mail queued for deactivated accounts, ends their sessions, deletes hashtags nothing uses",
    ),
)


def _name(entry: Scheduled) -> str:
    return PREFIX + entry.name


@transaction.atomic
def schedules_sync() -> None:
    """Make the stored schedules match ``SCHEDULES``: add, update, and drop what is no longer declared."""
    declared = {_name(entry): entry for entry in SCHEDULES}
    Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=declared).delete()
    for name, entry in declared.items():
        stored = Schedule.objects.filter(name=name).first()
        if stored and (stored.func, stored.cron, stored.schedule_type) == (entry.job, entry.cron, Schedule.CRON):
            continue
        if stored:
            stored.delete()
        schedule = Schedule(name=name, func=entry.job, schedule_type=Schedule.CRON, cron=entry.cron)
        # The first run is the next time the expression matches, not now: a deploy must not fire every daily job.
        schedule.next_run = schedule.calculate_next_run()
        schedule.save()


def sync_after_migrate(**kwargs) -> None:
    schedules_sync()


def schedule_table_markdown() -> str:
    """The README's table of scheduled jobs, from ``SCHEDULES`` (a test keeps the two equal)."""
    rows = ["| name | when (cron, UTC) | job | what |", "|---|---|---|---|"]
    rows += [f"| `{entry.name}` | `{entry.cron}` | `{entry.job}` | {entry.what} |" for entry in SCHEDULES]
    return "\n".join(rows)
