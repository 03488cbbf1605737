"""A member's conversations are in their export, and erasure takes their words or keeps them
as a former member's, as they choose."""

import pytest

from accounts.account_deletion import account_delete
from accounts.data_export import data_export_contents
from conversations import services
from conversations.models import Conversation, Message, MessageReport

pytestmark = pytest.mark.django_db


def test_the_export_holds_my_conversations_as_i_was_shown_them(talking, member, other_member):
    services.message_send(sender=other_member, conversation=talking, body="Reply from Carol")
    services.messaging_choice_set(user=member, audience="anyone")
    exported = data_export_contents(member)["private_messages"]
    assert exported["who_may_message_me"] == "anyone"
    [conversation] = exported["conversations"]
    assert conversation["with"] == ["carol"]
    assert [(m["from"], m["body"]) for m in conversation["messages"]] == [
        ("me", "Hello Carol"),
        ("carol", "Reply from Carol"),
    ]


def test_the_export_holds_the_reports_i_made(talking, member, other_member):
    services.message_send(sender=other_member, conversation=talking, body="Unkind")
    services.message_report(reporter=member, message=Message.objects.get(body="Unkind"), reason="It hurt")
    exported = data_export_contents(member)["private_messages"]
    assert exported["message_reports_made"][0]["reason"] == "It hurt"


def test_another_members_export_never_holds_a_conversation_they_were_not_in(talking, outsider):
    assert data_export_contents(outsider)["private_messages"]["conversations"] == []


def test_erasure_with_delete_leaves_removed_messages_in_the_others_conversation(client, talking, member, other_member):
    services.message_send(sender=other_member, conversation=talking, body="Carol's words stay")
    account_delete(user=member, posts="delete")
    first = Message.objects.order_by("pk").first()
    assert first.author is None and first.body == "" and first.removed_at is not None
    assert Message.objects.get(body="Carol's words stay").author == other_member
    client.force_login(other_member)
    page = client.get(f"/messages/{talking.pk}/").content.decode()
    assert "Hello Carol" not in page
    assert "This message was removed." in page
    assert "A former member" in page


def test_erasure_with_anonymise_keeps_the_words_as_a_former_members(client, talking, member, other_member):
    account_delete(user=member, posts="anonymise")
    first = Message.objects.order_by("pk").first()
    assert first.author is None and first.body == "Hello Carol"
    client.force_login(other_member)
    page = client.get(f"/messages/{talking.pk}/").content.decode()
    assert "Hello Carol" in page and "A former member" in page
    assert Conversation.objects.filter(pk=talking.pk).exists()


def test_erasure_removes_the_reports_the_member_made(talking, member, other_member):
    services.message_send(sender=other_member, conversation=talking, body="Unkind")
    services.message_report(reporter=member, message=Message.objects.get(body="Unkind"), reason="It hurt")
    account_delete(user=member, posts="anonymise")
    assert not MessageReport.objects.exists()
