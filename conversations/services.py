"""Writes for private conversations. Every check is in ``conversations.selectors``."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from conversations.models import Conversation, Message, MessageReport, MessagingChoice, Participant
from conversations.selectors import (
    READABLE,
    conversation_has_ended,
    have_talked,
    new_conversations_left_today,
    participants_of,
    why_cannot_message,
    why_cannot_write,
)
from discussions.markdown import render_markdown
from discussions.post_checks import checked_body, clean_text
from moderation.audit import acting_role, record_action
from moderation.models import ModerationAction
from moderation.selectors import can_moderate_post
from notifications.services import (
    notification_mark_read_for_url,
    notify_private_message,
    notify_staff_about_messages,
)

Status = Participant.Status
REPORT_REASON_MAX_LENGTH = 500
DAILY_LIMIT_MESSAGE = (
    "You have started as many new conversations as a day allows. You can still reply in the ones you have."
)


def _require_may_write(sender: User) -> None:
    refusal = why_cannot_write(sender)
    if refusal:
        raise PermissionDenied(refusal)


@transaction.atomic
def conversation_start(
    *, sender: User, recipients: Sequence[User], body: str, as_moderation_team: bool = False
) -> Conversation:
    """Start a conversation with one to seven other members.

    A recipient who has not accepted a conversation with the sender before gets a request;
    the moderation team's conversations are never requests. Every refusal is a
    ValidationError on ``to`` or ``body``, so the form keeps what was typed."""
    _require_may_write(sender)
    text = checked_body(body)
    unique = list({recipient.pk: recipient for recipient in recipients}.values())
    if not unique:
        raise ValidationError({"to": "Please name who the message is for."})
    if len(unique) > Conversation.MAX_PARTICIPANTS - 1:
        raise ValidationError({"to": f"A conversation can have at most {Conversation.MAX_PARTICIPANTS} members."})
    refusals = [why_cannot_message(sender, recipient, as_moderation_team=as_moderation_team) for recipient in unique]
    if any(refusals):
        raise ValidationError({"to": [refusal for refusal in refusals if refusal]})
    if not as_moderation_team and new_conversations_left_today(sender) <= 0:
        raise ValidationError({"to": DAILY_LIMIT_MESSAGE})
    now = timezone.now()
    conversation = Conversation.objects.create(
        started_by=sender, from_moderation_team=as_moderation_team, last_message_at=now
    )
    seats = [Participant(conversation=conversation, user=sender, status=Status.ACCEPTED)]
    for recipient in unique:
        welcome = as_moderation_team or have_talked(sender, recipient)
        seats.append(
            Participant(
                conversation=conversation, user=recipient, status=Status.ACCEPTED if welcome else Status.REQUESTED
            )
        )
    Participant.objects.bulk_create(seats)
    message = Message.objects.create(
        conversation=conversation, author=sender, body=text, body_html=render_markdown(text)
    )
    Participant.objects.filter(conversation=conversation, user=sender).update(last_read_message_id=message.pk)
    for is_request in (False, True):
        told = [seat.user_id for seat in seats[1:] if (seat.status == Status.REQUESTED) is is_request]
        if told:
            notify_private_message(
                recipient_ids=told, sender=sender, url=conversation.get_absolute_url(), is_request=is_request
            )
    return conversation


@transaction.atomic
def message_send(*, sender: User, conversation: Conversation, body: str) -> Message:
    """Add a message. Only a member who is in the conversation may write, and only once every
    request in it has been answered by at least one other member (a request is one message,
    not a stream); a block between any two of its members ends it."""
    _require_may_write(sender)
    text = checked_body(body)
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    participants = participants_of(conversation)
    mine = next((seat for seat in participants if seat.user_id == sender.pk), None)
    if mine is None or mine.status not in READABLE:
        raise PermissionDenied("You are not in this conversation.")
    if mine.status == Status.REQUESTED:
        raise ValidationError({"body": "Accept this conversation before you reply."})
    if conversation_has_ended(participants):
        raise ValidationError({"body": "This conversation has ended: nobody can send messages in it."})
    if not any(seat.status == Status.ACCEPTED and seat.user_id != sender.pk for seat in participants):
        raise ValidationError({"body": "Your message was sent. You can write again once it is accepted."})
    message = Message.objects.create(
        conversation=conversation, author=sender, body=text, body_html=render_markdown(text)
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
    Participant.objects.filter(pk=mine.pk).update(last_read_message_id=message.pk)
    readers = [seat.user_id for seat in participants if seat.status == Status.ACCEPTED and seat.user_id != sender.pk]
    notify_private_message(recipient_ids=readers, sender=sender, url=conversation.get_absolute_url(), is_request=False)
    return message


def _answer(*, user: User, conversation: Conversation, status: str) -> Participant:
    seat = Participant.objects.select_for_update().filter(conversation=conversation, user=user).first()
    if seat is None or seat.status not in READABLE:
        raise PermissionDenied("You are not in this conversation.")
    seat.status = status
    seat.save(update_fields=["status"])
    return seat


@transaction.atomic
def conversation_accept(*, user: User, conversation: Conversation) -> Participant:
    seat = Participant.objects.filter(conversation=conversation, user=user).first()
    if seat is not None and seat.status == Status.ACCEPTED:
        return seat
    return _answer(user=user, conversation=conversation, status=Status.ACCEPTED)


@transaction.atomic
def conversation_decline(*, user: User, conversation: Conversation) -> Participant:
    """Decline a request. The sender is not told: to them it stays "sent"."""
    return _answer(user=user, conversation=conversation, status=Status.DECLINED)


@transaction.atomic
def conversation_leave(*, user: User, conversation: Conversation) -> Participant:
    return _answer(user=user, conversation=conversation, status=Status.LEFT)


def conversation_mark_read(*, user: User, conversation: Conversation, message_id: int) -> None:
    """Remember the newest message this member has been shown; never moves backwards."""
    Participant.objects.filter(
        conversation=conversation, user=user, status__in=READABLE, last_read_message_id__lt=message_id
    ).update(last_read_message_id=message_id)
    notification_mark_read_for_url(user=user, url=conversation.get_absolute_url())


def messaging_choice_set(*, user: User, audience: str) -> MessagingChoice:
    if audience not in MessagingChoice.Audience.values:
        raise ValidationError({"audience": "Please choose who may message you."})
    choice, _ = MessagingChoice.objects.update_or_create(user=user, defaults={"audience": audience})
    return choice


@transaction.atomic
def message_report(*, reporter: User, message: Message, reason: str, is_crisis: bool = False) -> MessageReport:
    """Hand one message, and the messages around it, to staff, who are alerted at once.
    Only a member of the conversation who did not write it may report it; reporting
    twice changes nothing."""
    seat = Participant.objects.filter(
        conversation_id=message.conversation_id, user=reporter, status__in=READABLE
    ).first()
    if seat is None:
        raise PermissionDenied("You are not in this conversation.")
    if message.author_id == reporter.pk:
        raise ValidationError({"reason": "You can't report your own message."})
    reason = " ".join(clean_text(reason).split())
    if not reason:
        raise ValidationError({"reason": "Please say briefly what is wrong, so staff know what to look for."})
    if len(reason) > REPORT_REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Please keep it under {REPORT_REASON_MAX_LENGTH} characters."})
    report, created = MessageReport.objects.get_or_create(
        message=message, reporter=reporter, defaults={"reason": reason, "is_crisis": is_crisis}
    )
    if created:
        notify_staff_about_messages(
            message="A private message was reported: someone may be in crisis"
            if is_crisis
            else "A private message was reported",
            url=f"/mod/message-reports/{report.pk}/",
        )
    return report


@transaction.atomic
def message_report_close(*, acting_user: User, report: MessageReport, remove_message: bool) -> MessageReport:
    """Staff close a report, removing the reported message's words if it broke the rules."""
    if not acting_user.is_staff:
        raise PermissionDenied("Only staff handle reported messages.")
    report = MessageReport.objects.select_for_update().get(pk=report.pk)
    if remove_message:
        Message.objects.filter(pk=report.message_id, removed_at__isnull=True).update(
            body="", body_html="", removed_at=timezone.now()
        )
    MessageReport.objects.filter(message_id=report.message_id, status=MessageReport.Status.OPEN).update(
        status=MessageReport.Status.CLOSED, handled_by=acting_user
    )
    # The log keeps what was decided about whom, never the message's words.
    record_action(
        acting_user=acting_user,
        kind=ModerationAction.Kind.MESSAGE_REPORT,
        target_user=report.message.author,
        after={"report": report.pk, "message_removed": remove_message, "role": "staff"},
    )
    report.refresh_from_db()
    return report


def help_request_send(*, user: User) -> bool:
    """The writer of words that suggest crisis asks the moderation team to check in with
    them (their own choice: a private message alone alerts nobody). False if one waits."""
    _require_may_write(user)
    return bool(
        notify_staff_about_messages(
            message=f"{user.username} asked the moderation team to check in with them",
            url=f"/mod/reach-out/{user.username}/",
        )
    )


@transaction.atomic
def conversation_reach_out(*, acting_user: User, body: str, post=None, member: User | None = None) -> Conversation:
    """A moderator writes kindly to a post's author from a flag or crisis item (any
    moderator of the post), or staff to any member; marked as from the moderation team and
    never a request. Audited: for an anonymous post, writing to its author is a reveal."""
    if post is not None:
        if not can_moderate_post(acting_user, post):
            raise PermissionDenied("You don't moderate this post.")
        member = post.author
    elif not acting_user.is_staff:
        raise PermissionDenied("Only staff can write to any member as the moderation team.")
    if member is None or not member.is_active:
        raise ValidationError({"body": "This member's account no longer exists."})
    conversation = conversation_start(sender=acting_user, recipients=[member], body=body, as_moderation_team=True)
    record_action(
        acting_user=acting_user,
        kind=ModerationAction.Kind.REACH_OUT,
        post=post,
        target_user=member,
        after={
            "conversation": conversation.pk,
            "anonymous_post": bool(post is not None and post.is_anonymous),
            "role": acting_role(acting_user),
        },
    )
    return conversation
