"""The pages, as plain forms without JavaScript, and who gets a 404."""

import pytest

from conversations import services
from conversations.models import Message, MessageReport, MessagingChoice, Participant

pytestmark = pytest.mark.django_db
CANARY = "canary-private-words-7731"


def test_a_member_writes_from_the_form_and_the_typed_words_survive_an_error(client, mecfs, member, other_member):
    client.force_login(member)
    page = client.get("/messages/new/?to=carol")
    assert page.status_code == 200
    assert 'value="carol"' in page.content.decode()

    missing = client.post("/messages/new/", {"to": "nobody-here", "body": "Kept words"})
    assert missing.status_code == 400
    assert "There is no member called nobody-here." in missing.content.decode()
    assert "Kept words" in missing.content.decode()

    sent = client.post("/messages/new/", {"to": "@Carol", "body": "Hello there"})
    conversation = Participant.objects.get(user=other_member).conversation
    assert sent.status_code == 302
    assert sent["Location"] == f"/messages/{conversation.pk}/"


def test_an_empty_message_is_a_form_error(client, talking, member):
    client.force_login(member)
    response = client.post(f"/messages/{talking.pk}/", {"body": "   "})
    assert response.status_code == 400
    assert "Please write something first." in response.content.decode() or "required" in response.content.decode()


def test_reading_and_replying_without_javascript(client, talking, member, other_member):
    client.force_login(other_member)
    response = client.post(f"/messages/{talking.pk}/", {"body": "Thanks for writing"})
    message = Message.objects.get(body="Thanks for writing")
    assert response["Location"] == f"/messages/{talking.pk}/#message-{message.pk}"
    client.force_login(member)
    page = client.get(f"/messages/{talking.pk}/").content.decode()
    assert "Thanks for writing" in page
    assert "Carol" in page


def test_the_recipient_sees_a_request_with_accept_and_decline(client, mecfs, member, other_member):
    conversation = services.conversation_start(sender=member, recipients=[other_member], body="First words")
    client.force_login(other_member)
    inbox = client.get("/messages/").content.decode()
    assert "Requests" in inbox
    page = client.get(f"/messages/{conversation.pk}/").content.decode()
    assert "First words" in page
    assert "Accept" in page and "Decline" in page
    client.post(f"/messages/{conversation.pk}/accept/")
    assert Participant.objects.get(user=other_member).status == Participant.Status.ACCEPTED


def test_after_declining_the_conversation_is_gone_for_the_recipient(client, mecfs, member, other_member):
    conversation = services.conversation_start(sender=member, recipients=[other_member], body="Hi")
    client.force_login(other_member)
    client.post(f"/messages/{conversation.pk}/decline/")
    assert client.get(f"/messages/{conversation.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["outsider", "staff", "moderator"])
def test_nobody_outside_the_conversation_can_read_it_staff_included(client, talking, request, who):
    Message.objects.filter(conversation=talking).update(body=CANARY, body_html=f"<p>{CANARY}</p>")
    client.force_login(request.getfixturevalue(who))
    response = client.get(f"/messages/{talking.pk}/")
    assert response.status_code == 404
    assert CANARY not in response.content.decode()
    assert CANARY not in client.get("/messages/").content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, talking):
    for url in ("/messages/", f"/messages/{talking.pk}/", "/messages/new/", "/settings/messages/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_an_outsider_cannot_write_into_a_conversation_by_guessing_its_number(client, talking, outsider):
    client.force_login(outsider)
    assert client.post(f"/messages/{talking.pk}/", {"body": "let me in"}).status_code == 404
    assert not Message.objects.filter(body="let me in").exists()


def test_an_unknown_answer_is_a_404(client, talking, member):
    client.force_login(member)
    assert client.post(f"/messages/{talking.pk}/shout/").status_code == 404


def test_a_report_hands_the_message_to_staff_and_needs_a_reason(client, talking, member, other_member):
    services.message_send(sender=other_member, conversation=talking, body="Something unkind")
    unkind = Message.objects.get(body="Something unkind")
    client.force_login(member)
    empty = client.post(f"/messages/{talking.pk}/messages/{unkind.pk}/report/", {"reason": ""})
    assert empty.status_code == 400
    done = client.post(f"/messages/{talking.pk}/messages/{unkind.pk}/report/", {"reason": "Unkind words"})
    assert done.status_code == 302
    assert MessageReport.objects.get().reason == "Unkind words"


def test_a_member_cannot_report_a_message_of_another_conversation(client, talking, member, outsider, mecfs, add_member):
    add_member(outsider, mecfs)
    elsewhere = services.conversation_start(sender=outsider, recipients=[member], body="Other")
    other_message = elsewhere.messages.get()
    client.force_login(member)
    response = client.post(f"/messages/{talking.pk}/messages/{other_message.pk}/report/", {"reason": "x"})
    assert response.status_code == 404


def test_the_settings_page_saves_the_choice_and_refuses_nonsense(client, member):
    client.force_login(member)
    assert client.get("/settings/messages/").status_code == 200
    assert client.post("/settings/messages/", {"audience": "everyone-everywhere"}).status_code == 400
    client.post("/settings/messages/", {"audience": "nobody"})
    assert MessagingChoice.objects.get(user=member).audience == "nobody"
