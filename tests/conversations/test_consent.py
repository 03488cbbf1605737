"""Starting a conversation: who may write to whom, first messages as requests, blocks end it."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations import selectors, services
from conversations.models import Conversation, MessagingChoice, Participant
from moderation.member_actions import member_suspend

pytestmark = pytest.mark.django_db
Status = Participant.Status


def seat(conversation, user) -> Participant:
    return Participant.objects.get(conversation=conversation, user=user)


def test_a_first_message_is_a_request_that_the_recipient_answers(mecfs, member, other_member):
    conversation = services.conversation_start(sender=member, recipients=[other_member], body="Hi")
    assert seat(conversation, member).status == Status.ACCEPTED
    assert seat(conversation, other_member).status == Status.REQUESTED

    services.conversation_accept(user=other_member, conversation=conversation)
    assert seat(conversation, other_member).status == Status.ACCEPTED


def test_members_who_have_talked_before_skip_the_request(talking, member, other_member):
    again = services.conversation_start(sender=other_member, recipients=[member], body="Me again")
    assert seat(again, member).status == Status.ACCEPTED


def test_the_sender_may_not_send_a_stream_before_the_request_is_accepted(mecfs, member, other_member):
    conversation = services.conversation_start(sender=member, recipients=[other_member], body="Hi")
    with pytest.raises(ValidationError, match="once it is accepted"):
        services.message_send(sender=member, conversation=conversation, body="Hello?")


def test_a_declined_request_looks_the_same_to_the_sender(mecfs, client, member, other_member):
    conversation = services.conversation_start(sender=member, recipients=[other_member], body="Hi")
    client.force_login(member)
    before = client.get(f"/messages/{conversation.pk}/").content.decode()
    services.conversation_decline(user=other_member, conversation=conversation)
    after = client.get(f"/messages/{conversation.pk}/").content.decode()
    assert "Sent. You can write again once it is accepted." in before
    assert "Sent. You can write again once it is accepted." in after
    assert "declin" not in after.lower()


@pytest.mark.parametrize(
    ("audience", "shares", "allowed"),
    [
        (MessagingChoice.Audience.NOBODY, True, False),
        (MessagingChoice.Audience.SHARED_COMMUNITY, True, True),
        (MessagingChoice.Audience.SHARED_COMMUNITY, False, False),
        (MessagingChoice.Audience.ANYONE, False, True),
    ],
)
def test_the_recipient_chooses_who_may_message_them(
    community_factory, add_member, member, outsider, audience, shares, allowed
):
    if shares:
        community = community_factory("pots")
        add_member(member, community)
        add_member(outsider, community)
    services.messaging_choice_set(user=outsider, audience=audience)
    refusal = selectors.why_cannot_message(member, outsider)
    assert (refusal is None) is allowed


def test_a_pending_membership_is_not_a_shared_community(community_factory, add_member, member, outsider):
    community = community_factory("eds")
    add_member(member, community)
    add_member(outsider, community, status="pending")
    assert selectors.why_cannot_message(member, outsider) is not None


def test_the_default_is_members_who_share_a_community(mecfs, member, other_member, outsider):
    assert selectors.why_cannot_message(member, other_member) is None
    assert "community" in selectors.why_cannot_message(member, outsider)


@pytest.mark.parametrize("direction", ["sender_blocked_recipient", "recipient_blocked_sender"])
def test_a_block_either_way_refuses_a_new_conversation_without_saying_who_blocked(
    mecfs, member, other_member, block, direction
):
    if direction == "sender_blocked_recipient":
        block(member, other_member)
    else:
        block(other_member, member)
    with pytest.raises(ValidationError) as refused:
        services.conversation_start(sender=member, recipients=[other_member], body="Hi")
    assert "block" not in str(refused.value).lower()


@pytest.mark.parametrize("blocker_is_first", [True, False])
def test_blocking_ends_a_conversation_both_ways(talking, member, other_member, block, blocker_is_first):
    block(member, other_member) if blocker_is_first else block(other_member, member)
    for writer in (member, other_member):
        with pytest.raises(ValidationError, match="has ended"):
            services.message_send(sender=writer, conversation=talking, body="still there?")


def test_moderation_team_conversations_are_never_requests_and_pass_the_audience_choice(mecfs, moderator, other_member):
    services.messaging_choice_set(user=other_member, audience=MessagingChoice.Audience.NOBODY)
    conversation = services.conversation_start(
        sender=moderator, recipients=[other_member], body="Checking in kindly", as_moderation_team=True
    )
    assert conversation.from_moderation_team
    assert seat(conversation, other_member).status == Status.ACCEPTED


def test_a_group_is_at_most_eight_members(mecfs, member, user_factory, add_member):
    others = []
    for index in range(8):
        other = user_factory(f"friend{index}")
        add_member(other, mecfs)
        others.append(other)
    with pytest.raises(ValidationError, match="at most 8"):
        services.conversation_start(sender=member, recipients=others, body="Hi all")
    conversation = services.conversation_start(sender=member, recipients=others[:7], body="Hi all")
    assert conversation.participants.count() == 8


def test_a_new_account_may_start_only_a_few_conversations_a_day(mecfs, member, user_factory, add_member):
    member.date_joined = timezone.now()
    member.save(update_fields=["date_joined"])
    for index in range(3):
        other = user_factory(f"friend{index}")
        add_member(other, mecfs)
        services.conversation_start(sender=member, recipients=[other], body="Hi")
    fourth = user_factory("friend4")
    add_member(fourth, mecfs)
    with pytest.raises(ValidationError, match="as many new conversations as a day allows"):
        services.conversation_start(sender=member, recipients=[fourth], body="Hi")


def test_an_older_account_has_a_higher_daily_allowance(mecfs, member):
    member.date_joined = timezone.now() - timezone.timedelta(days=30)
    member.save(update_fields=["date_joined"])
    assert selectors.new_conversations_left_today(member) == 20


def test_unverified_and_suspended_members_cannot_write(mecfs, user_factory, other_member, staff):
    unverified = user_factory("newbie", verified=False)
    with pytest.raises(Exception, match="confirm your email"):
        services.conversation_start(sender=unverified, recipients=[other_member], body="Hi")
    suspended = user_factory("quiet")
    member_suspend(acting_user=staff, user=suspended, days=3, reason="cool off")
    assert "suspended" in selectors.why_cannot_write(suspended)


def test_no_conversation_with_oneself(member):
    assert "yourself" in selectors.why_cannot_message(member, member)


def test_the_conversation_is_listed_newest_first_with_unread_counts(talking, member, other_member):
    services.message_send(sender=other_member, conversation=talking, body="How are you?")
    services.message_send(sender=other_member, conversation=talking, body="Take your time")
    [listed] = selectors.conversation_list_for(member)
    assert listed.unread == 2
    assert sum(1 for item in selectors.conversation_list_for(member) if item.unread) == 1
    assert not any(item.unread for item in selectors.conversation_list_for(other_member))
    assert Conversation.objects.count() == 1
