"""Safety around private messages: reports hand one message and its neighbours to staff,
moderators reach out kindly, and crisis words bring the writer support first."""

import pytest
from django.core import mail

from conversations import services
from conversations.models import Conversation, Message, MessageReport, Participant
from moderation.models import ModerationAction
from notifications.models import Notification

pytestmark = pytest.mark.django_db
CANARY = "canary-private-words-0042"


@pytest.fixture
def long_talk(talking, member, other_member):
    for index in range(12):
        writer = member if index % 2 else other_member
        services.message_send(sender=writer, conversation=talking, body=f"message {index}")
    return talking


def reported(conversation, reporter, body: str, **extra) -> MessageReport:
    message = Message.objects.get(conversation=conversation, body=body)
    return services.message_report(reporter=reporter, message=message, reason="Unkind", **extra)


def test_staff_see_the_reported_message_and_five_either_side_only(client, long_talk, member, staff):
    report = reported(long_talk, member, "message 6")
    client.force_login(staff)
    page = client.get(f"/mod/message-reports/{report.pk}/").content.decode()
    for index in range(1, 12):
        assert f"message {index}</p>" in page
    assert "message 0</p>" not in page
    assert "Hello Carol" not in page


def test_staff_are_alerted_at_once_without_the_words(long_talk, member, staff, django_capture_on_commit_callbacks):
    Message.objects.filter(body="message 6").update(body=CANARY, body_html=f"<p>{CANARY}</p>")
    with django_capture_on_commit_callbacks(execute=True):
        reported(long_talk, member, CANARY, is_crisis=True)
    [alert] = Notification.objects.filter(recipient=staff)
    assert alert.kind == Notification.Kind.MESSAGE_REPORT
    assert "crisis" in alert.message
    assert CANARY not in alert.message
    assert mail.outbox and all(CANARY not in email.body for email in mail.outbox)


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_only_staff_open_reported_messages(client, long_talk, member, other_member, moderator, staff, request, who):
    report = reported(long_talk, member, "message 8")
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/mod/message-reports/{report.pk}/").status_code == 404
    assert client.get("/mod/message-reports/").status_code == 404


def test_a_member_cannot_report_their_own_message(talking, member):
    with pytest.raises(Exception, match="your own message"):
        reported(talking, member, "Hello Carol")


def test_closing_a_report_can_remove_the_words_and_is_logged_without_them(
    client, long_talk, member, other_member, staff
):
    report = reported(long_talk, member, "message 6")
    client.force_login(staff)
    response = client.post(f"/mod/message-reports/{report.pk}/", {"remove_message": "on"})
    assert response.status_code == 302
    message = Message.objects.get(pk=report.message_id)
    assert message.body == "" and message.removed_at is not None
    action = ModerationAction.objects.get(kind=ModerationAction.Kind.MESSAGE_REPORT)
    assert action.target_user == other_member
    assert "message 6" not in str(action.after)
    client.force_login(member)
    assert "This message was removed." in client.get(f"/messages/{long_talk.pk}/").content.decode()


def test_a_moderator_reaches_out_kindly_from_a_post_they_moderate(client, mecfs, moderator, member, add_member, start):
    add_member(moderator, mecfs, role="moderator")
    discussion = start(title="Hard day", submission_token="hard", is_anonymous=True)
    client.force_login(moderator)
    page = client.get(f"/mod/reach-out/discussion/{discussion.pk}/")
    assert page.status_code == 200
    response = client.post(f"/mod/reach-out/discussion/{discussion.pk}/", {"body": "We're here if you want to talk"})
    conversation = Conversation.objects.get()
    assert response["Location"] == conversation.get_absolute_url()
    assert conversation.from_moderation_team
    assert Participant.objects.get(conversation=conversation, user=member).status == Participant.Status.ACCEPTED
    action = ModerationAction.objects.get(kind=ModerationAction.Kind.REACH_OUT)
    assert action.after["anonymous_post"] is True
    assert action.target_user == member
    client.force_login(member)
    assert "opened by the moderation team" in client.get(conversation.get_absolute_url()).content.decode()


def test_a_moderator_cannot_reach_out_from_a_post_outside_their_communities(
    client, community_factory, add_member, moderator, member, start
):
    elsewhere = community_factory("lupus")
    add_member(moderator, elsewhere, role="moderator")
    discussion = start(title="Not theirs", submission_token="nt")
    client.force_login(moderator)
    assert client.get(f"/mod/reach-out/discussion/{discussion.pk}/").status_code == 404


def test_only_staff_write_to_any_member_by_name(client, member, moderator, staff, mecfs, add_member):
    add_member(moderator, mecfs, role="moderator")
    client.force_login(moderator)
    assert client.get("/mod/reach-out/alice/").status_code == 404
    client.force_login(staff)
    assert client.post("/mod/reach-out/alice/", {"body": "Checking in"}).status_code == 302


def test_crisis_words_take_the_writer_to_support_and_alert_nobody(client, talking, member, staff):
    client.force_login(member)
    response = client.post(f"/messages/{talking.pk}/", {"body": "I want to end my life"})
    assert response["Location"] == f"/messages/{talking.pk}/support/"
    page = client.get(response["Location"]).content.decode()
    assert "Ask the moderation team to check in with me" in page
    assert not Notification.objects.filter(recipient=staff).exists()


def test_the_writer_may_ask_for_a_check_in_which_alerts_staff_once(client, talking, member, staff):
    client.force_login(member)
    client.post("/messages/help/")
    client.post("/messages/help/")
    [alert] = Notification.objects.filter(recipient=staff)
    assert alert.url == "/mod/reach-out/alice/"
    assert "alice asked the moderation team to check in" in alert.message
