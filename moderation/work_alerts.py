"""Alerts about work waiting for people, without escalation: a new professional verification
application (staff), a new appeal (the moderators of the community it is filed under; staff
for a site-wide decision), and a community queue whose oldest item waited longer than
``QUEUE_ALERT_HOURS`` (its moderators, staff when it has none; once per window).

Each is a job or a scheduled run that may run twice: it checks what it already sent under a
lock or by the notification it left. The alerts name no member, post or community (a
condition hashtag is health data): they point at the page where the work waits.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import ProfessionalVerification
from community.models import Community
from moderation.models import Appeal, QueueAgeAlert
from moderation.selectors import active_staff, can_decide_appeal, community_moderators, oldest_waiting_in
from notifications.models import Notification
from notifications.services import notify_work_waiting
from spoonful import jobs

logger = logging.getLogger(__name__)

Kind = Notification.Kind

APPEAL_MESSAGE = "A member appealed a moderation decision. It waits in your moderation queue."
APPLICATION_MESSAGE = "A professional verification application waits for review."


def _already_sent(kind: str, url: str) -> bool:
    return Notification.objects.filter(kind=kind, url=url).exists()


# --- Appeals ----------------------------------------------------------------------------


def appeal_alert_enqueue(appeal: Appeal) -> None:
    """Queue the moderators' alert with the appeal (inside its transaction)."""
    jobs.enqueue(appeal_alert_send, appeal.pk)


@transaction.atomic
def appeal_alert_send(appeal_id: int) -> int:
    """A job: tell whoever may answer the appeal that it waits. Returns how many were told."""
    appeal = Appeal.objects.select_related("action__community").filter(pk=appeal_id, status=Appeal.Status.OPEN).first()
    if appeal is None:
        return 0
    url = f"{reverse('moderation:queue')}#appeal-{appeal.pk}"
    if _already_sent(Kind.APPEAL_RECEIVED, url):
        return 0
    community = appeal.action.community
    recipients = []
    if community is not None:
        moderators = community_moderators(community).exclude(pk=appeal.appellant_id)
        recipients = [user.pk for user in moderators if can_decide_appeal(user, appeal)]
    if not recipients:
        recipients = list(active_staff().exclude(pk=appeal.appellant_id).values_list("pk", flat=True))
    notify_work_waiting(recipient_ids=recipients, kind=Kind.APPEAL_RECEIVED, message=APPEAL_MESSAGE, url=url)
    return len(recipients)


# --- Verification applications ------------------------------------------------------------


def verification_application_alert_enqueue(application: ProfessionalVerification) -> None:
    jobs.enqueue(verification_application_alert_send, application.pk)


@transaction.atomic
def verification_application_alert_send(application_id: int) -> int:
    """A job: tell active staff (never the applicant) that an application waits. Returns how many were told."""
    application = ProfessionalVerification.objects.filter(
        pk=application_id, status__in=ProfessionalVerification.OPEN_STATES
    ).first()
    if application is None:
        return 0
    url = f"{reverse('accounts:verification_queue')}#application-{application.pk}"
    if _already_sent(Kind.VERIFICATION_APPLICATION, url):
        return 0
    recipients = list(active_staff().exclude(pk=application.applicant_id).values_list("pk", flat=True))
    notify_work_waiting(
        recipient_ids=recipients, kind=Kind.VERIFICATION_APPLICATION, message=APPLICATION_MESSAGE, url=url
    )
    return len(recipients)


# --- Queues waiting too long ----------------------------------------------------------------


def queue_age_alerts_send(now: datetime | None = None) -> int:
    """Every quarter hour: each community whose oldest waiting item is older than
    ``QUEUE_ALERT_HOURS`` tells its moderators (staff when it has none), at most once in each
    such window, whichever worker gets there first. Returns how many communities alerted."""
    now = now or timezone.now()
    window = timedelta(hours=settings.QUEUE_ALERT_HOURS)
    alerted = 0
    for community in Community.objects.order_by("pk"):
        oldest = oldest_waiting_in(community)
        if oldest is None or oldest > now - window:
            continue
        with transaction.atomic():
            row, created = QueueAgeAlert.objects.get_or_create(community=community, defaults={"alerted_at": now})
            if not created:
                row = QueueAgeAlert.objects.select_for_update().get(pk=row.pk)
                if row.alerted_at > now - window:
                    continue
                row.alerted_at = now
                row.save(update_fields=["alerted_at"])
            recipients = list(community_moderators(community).values_list("pk", flat=True))
            if not recipients:
                recipients = list(active_staff().values_list("pk", flat=True))
            hours = settings.QUEUE_ALERT_HOURS
            notify_work_waiting(
                recipient_ids=recipients,
                kind=Kind.QUEUE_WAITING,
                message=f"Something in the queue of a community you moderate has waited more than {hours} hours.",
                url=reverse("moderation:queue"),
            )
        alerted += 1
    if alerted:
        logger.info("queue age alerts sent for %d communities", alerted)
    return alerted
