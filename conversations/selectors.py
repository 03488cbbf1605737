"""Who may read and write which private conversation: the one rule for messages.

A member reads a conversation only through their own seat in it, ``ACCEPTED`` or
``REQUESTED``; nobody else does, staff included. Staff read one reported message and the
messages around it through ``report_context``, never the conversation.
"""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.models import Block, User
from accounts.selectors import Viewer
from community.models import Membership
from conversations.models import Conversation, Message, MessageReport, MessagingChoice, Participant
from discussions.post_checks import has_verified_email
from moderation.selectors import is_suspended

Audience = MessagingChoice.Audience
Status = Participant.Status
READABLE = (Status.ACCEPTED, Status.REQUESTED)

# A new account may start only a few conversations a day: enough to reach a friend, too few to spam.
NEW_ACCOUNT_DAYS = 7
NEW_CONVERSATIONS_PER_DAY = {True: 3, False: 20}
# How many messages either side of a reported one staff see.
REPORT_CONTEXT = 5


def messaging_audience(user: User) -> str:
    choice = MessagingChoice.objects.filter(user=user).values_list("audience", flat=True).first()
    return choice or Audience.SHARED_COMMUNITY


def shares_community(first: User, second: User) -> bool:
    return Membership.objects.filter(
        user=second,
        status=Membership.Status.ACTIVE,
        community__memberships__user=first,
        community__memberships__status=Membership.Status.ACTIVE,
    ).exists()


def blocked_between(first_id: int, second_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=first_id, blocked_id=second_id) | Q(blocker_id=second_id, blocked_id=first_id)
    ).exists()


def is_new_account(user: User) -> bool:
    return user.date_joined > timezone.now() - timezone.timedelta(days=NEW_ACCOUNT_DAYS)


def new_conversations_left_today(user: User) -> int:
    started = Conversation.objects.filter(
        started_by=user, from_moderation_team=False, created_at__gte=timezone.now() - timezone.timedelta(days=1)
    ).count()
    return max(0, NEW_CONVERSATIONS_PER_DAY[is_new_account(user)] - started)


def why_cannot_write(sender: Viewer) -> str | None:
    """Why this member may send no private message at all, or None."""
    if not (sender.is_authenticated and sender.is_active):
        return "Please sign in to send messages."
    if not has_verified_email(sender):
        return "Please confirm your email address before sending messages."
    if is_suspended(sender):
        return "Your account is suspended, so you can't send messages for now."
    return None


def why_cannot_message(sender: User, recipient: User, *, as_moderation_team: bool = False) -> str | None:
    """Why ``sender`` may not start a conversation with ``recipient``, or None.

    The reasons never tell a blocked member that they were blocked, nor which of the two
    blocked the other."""
    if recipient.pk == sender.pk:
        return "You can't send a message to yourself."
    if not recipient.is_active:
        return f"There is no member called {recipient.username}."
    if blocked_between(sender.pk, recipient.pk):
        return f"You can't send messages to {recipient.username}."
    if as_moderation_team:
        return None
    audience = messaging_audience(recipient)
    if audience == Audience.NOBODY:
        return f"{recipient.username} isn't taking private messages."
    if audience == Audience.SHARED_COMMUNITY and not shares_community(sender, recipient):
        return f"{recipient.username} takes messages only from members of a community they belong to."
    return None


def have_talked(sender: User, recipient: User) -> bool:
    """Both are in a conversation that the recipient accepted: no new request is needed."""
    return Participant.objects.filter(
        user=recipient,
        status=Status.ACCEPTED,
        conversation__participants__user=sender,
        conversation__participants__status=Status.ACCEPTED,
    ).exists()


def seat_for(user: Viewer, conversation_id: int) -> Participant | None:
    if not user.is_authenticated:
        return None
    return (
        Participant.objects.select_related("conversation")
        .filter(user=user, conversation_id=conversation_id, status__in=READABLE)
        .first()
    )


def seat_get_or_404(user: Viewer, conversation_id: int) -> Participant:
    """The member's own seat in a conversation they may read; anyone else gets a 404."""
    seat = seat_for(user, conversation_id)
    if seat is None:
        raise Http404("No such conversation.")
    return seat


@dataclass(frozen=True)
class Listed:
    conversation: Conversation
    seat: Participant
    others: list[User]
    unread: int


def conversation_list_for(user: User) -> list[Listed]:
    """My conversations and requests, newest first, with the other members and my unread count."""
    unread = (
        Message.objects.filter(conversation=OuterRef("conversation"), pk__gt=OuterRef("last_read_message_id"))
        .exclude(author=user)
        .order_by()
        .values("conversation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    seats = list(
        Participant.objects.filter(user=user, status__in=READABLE)
        .select_related("conversation")
        .annotate(unread=Subquery(unread))
        .order_by("-conversation__last_message_at")[:200]
    )
    others_by_conversation: dict[int, list[User]] = {}
    for other in (
        Participant.objects.filter(conversation__in=[seat.conversation_id for seat in seats])
        .exclude(user=user)
        .select_related("user")
        .order_by("pk")
    ):
        others_by_conversation.setdefault(other.conversation_id, []).append(other.user)
    return [
        Listed(seat.conversation, seat, others_by_conversation.get(seat.conversation_id, []), seat.unread or 0)
        for seat in seats
    ]


def participants_of(conversation: Conversation) -> list[Participant]:
    return list(Participant.objects.filter(conversation=conversation).select_related("user").order_by("pk"))


def messages_of(conversation: Conversation) -> QuerySet[Message]:
    return Message.objects.filter(conversation=conversation).select_related("author").order_by("pk")


def conversation_has_ended(participants: list[Participant]) -> bool:
    """A block between any two members still in it ends the conversation for everyone in it."""
    present = [seat.user_id for seat in participants if seat.status in READABLE]
    if len(present) < 2:
        return True
    return Block.objects.filter(blocker_id__in=present, blocked_id__in=present).exists()


def report_context(report: MessageReport) -> list[Message]:
    """The reported message and up to ``REPORT_CONTEXT`` messages either side of it: what staff see."""
    message = report.message
    around = Message.objects.filter(conversation_id=message.conversation_id).select_related("author")
    before = list(around.filter(pk__lt=message.pk).order_by("-pk")[:REPORT_CONTEXT])
    after = list(around.filter(pk__gt=message.pk).order_by("pk")[:REPORT_CONTEXT])
    return [*reversed(before), message, *after]


def report_queue() -> QuerySet[MessageReport]:
    return MessageReport.objects.filter(status=MessageReport.Status.OPEN).select_related("reporter").order_by("pk")


def report_get_for_staff_or_404(user: Viewer, pk: int) -> MessageReport:
    if not (user.is_authenticated and user.is_staff):
        raise Http404("No such report.")
    report = MessageReport.objects.select_related("message__author", "reporter").filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return report


def conversation_export_for(user: User) -> dict:
    """The member's conversations as their export shows them: every message in every
    conversation they are or were in (what they were shown), who else was in it, their
    choice of who may message them, and the reports they made."""
    seats = list(Participant.objects.filter(user=user).select_related("conversation").order_by("conversation_id"))
    ids = [seat.conversation_id for seat in seats]
    people: dict[int, list[str]] = {}
    for other in Participant.objects.filter(conversation_id__in=ids).exclude(user=user).select_related("user"):
        people.setdefault(other.conversation_id, []).append(other.user.username)
    thread: dict[int, list[dict]] = {}
    for message in Message.objects.filter(conversation_id__in=ids).select_related("author").order_by("pk"):
        thread.setdefault(message.conversation_id, []).append(
            {
                "from": "me" if message.author_id == user.pk else (message.author.username if message.author else None),
                "body": message.body,
                "removed": message.removed_at is not None,
                "sent_at": message.created_at,
            }
        )
    return {
        "who_may_message_me": messaging_audience(user),
        "conversations": [
            {
                "id": seat.conversation_id,
                "my_status": seat.status,
                "from_moderation_team": seat.conversation.from_moderation_team,
                "with": sorted(people.get(seat.conversation_id, [])),
                "messages": thread.get(seat.conversation_id, []),
            }
            for seat in seats
        ],
        "message_reports_made": [
            {"message_id": report.message_id, "reason": report.reason, "status": report.status, "at": report.created_at}
            for report in MessageReport.objects.filter(reporter=user).order_by("pk")
        ],
    }
