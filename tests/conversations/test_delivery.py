"""How a private message reaches its reader: one bell per conversation, an email and a push
that never carry its words, and a socket frame that is only a nudge."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.core import mail
from django.test import override_settings

from conversations import services
from notifications.models import Notification
from tests.helpers.environment import layer_settings
from tests.helpers.live import communicator as connect
from tests.helpers.live import session_cookie_for

CANARY = "canary-words-in-a-private-message-5521"


@pytest.mark.django_db
def test_a_request_rings_once_and_its_email_has_no_words(
    mecfs, member, other_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = services.conversation_start(sender=member, recipients=[other_member], body=CANARY)
    [bell] = Notification.objects.filter(recipient=other_member)
    assert bell.kind == Notification.Kind.PRIVATE_MESSAGE
    assert bell.message == "Alice would like to talk: a message request"
    assert bell.url == conversation.get_absolute_url()
    assert mail.outbox, "the request is emailed at once by default"
    for email in mail.outbox:
        assert CANARY not in email.body
        assert "Alice" not in email.body, "an inbox read over a shoulder must not say who wrote"
        assert all(CANARY not in content for content, _ in getattr(email, "alternatives", []))
    assert CANARY not in bell.message


@pytest.mark.django_db
def test_a_lively_conversation_rings_once_until_it_is_read(client, talking, member, other_member):
    Notification.objects.all().delete()
    for words in ("one", "two", "three"):
        services.message_send(sender=member, conversation=talking, body=words)
    assert Notification.objects.filter(recipient=other_member, read_at__isnull=True).count() == 1

    client.force_login(other_member)
    client.get(f"/messages/{talking.pk}/")
    assert not Notification.objects.filter(recipient=other_member, read_at__isnull=True).exists()

    services.message_send(sender=member, conversation=talking, body="four")
    assert Notification.objects.filter(recipient=other_member, read_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_the_writer_is_never_notified_of_their_own_message(talking, member):
    services.message_send(sender=member, conversation=talking, body="hello")
    assert not Notification.objects.filter(recipient=member).exists()


@pytest.mark.django_db
def test_the_after_fragment_shows_only_newer_messages_to_a_participant(client, talking, member, other_member, outsider):
    first = talking.messages.get()
    services.message_send(sender=other_member, conversation=talking, body="Newer words")
    client.force_login(member)
    fragment = client.get(f"/messages/{talking.pk}/after/?after={first.pk}").content.decode()
    assert "Newer words" in fragment
    assert "Hello Carol" not in fragment
    assert client.get(f"/messages/{talking.pk}/after/?after=x").status_code == 400
    client.force_login(outsider)
    assert client.get(f"/messages/{talking.pk}/after/?after=0").status_code == 404


@pytest.fixture(params=["memory", "redis"])
def channel_layer_kind(request):
    with override_settings(CHANNEL_LAYERS=layer_settings(request.param)):
        channel_layers.backends.clear()
        yield request.param
    channel_layers.backends.clear()


@pytest.mark.django_db(transaction=True)
async def test_the_socket_frame_names_the_conversation_and_carries_no_words(
    channel_layer_kind, community_factory, add_member, member, other_member
):
    community = await sync_to_async(community_factory)("pots")
    await sync_to_async(add_member)(member, community)
    await sync_to_async(add_member)(other_member, community)
    communicator = connect("/ws/notifications/", await session_cookie_for(other_member))
    connected, _ = await communicator.connect()
    assert connected

    conversation = await sync_to_async(services.conversation_start)(
        sender=member, recipients=[other_member], body=CANARY
    )

    frames = [await communicator.receive_json_from(timeout=3), await communicator.receive_json_from(timeout=3)]
    assert {"type": "conversation", "url": conversation.get_absolute_url()} in frames
    assert CANARY not in repr(frames)
    await communicator.disconnect()
