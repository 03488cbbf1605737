"""A websocket roundtrip through the real ASGI stack, on both channel layers."""

import pytest
from channels.layers import channel_layers
from django.test import override_settings

from discussions.events import user_group_name
from tests.helpers.environment import layer_settings
from tests.helpers.live import communicator as connect
from tests.helpers.live import session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["memory", "redis"])
def channel_layer_kind(request):
    with override_settings(CHANNEL_LAYERS=layer_settings(request.param)):
        channel_layers.backends.clear()
        yield request.param
    channel_layers.backends.clear()


async def test_a_member_receives_events_sent_to_their_group(channel_layer_kind, member):
    communicator = connect("/ws/notifications/", await session_cookie_for(member))
    connected, _ = await communicator.connect()
    assert connected

    await channel_layers["default"].group_send(user_group_name(member.pk), {"type": "notification.created"})

    assert await communicator.receive_json_from(timeout=2) == {"type": "notification"}
    await communicator.disconnect()


async def test_a_signed_out_visitor_is_refused_with_4401(channel_layer_kind):
    communicator = connect("/ws/notifications/")

    connected, code = await communicator.connect()

    assert not connected
    assert code == 4401


async def test_a_foreign_origin_is_refused(channel_layer_kind, member):
    communicator = connect("/ws/notifications/", await session_cookie_for(member), origin=b"https://evil.example")

    connected, _ = await communicator.connect()

    assert not connected


async def test_a_member_does_not_receive_another_members_events(channel_layer_kind, member, other_member):
    communicator = connect("/ws/notifications/", await session_cookie_for(member))
    await communicator.connect()

    await channel_layers["default"].group_send(user_group_name(other_member.pk), {"type": "notification.created"})

    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_signing_out_closes_that_sessions_notification_socket_only(channel_layer_kind, member):
    from asgiref.sync import sync_to_async
    from django.test import Client

    laptop, phone = Client(), Client()
    await sync_to_async(laptop.force_login)(member)
    await sync_to_async(phone.force_login)(member)
    laptop_socket = connect("/ws/notifications/", f"sessionid={laptop.cookies['sessionid'].value}".encode())
    phone_socket = connect("/ws/notifications/", f"sessionid={phone.cookies['sessionid'].value}".encode())
    assert (await laptop_socket.connect())[0] and (await phone_socket.connect())[0]

    await sync_to_async(laptop.logout)()

    closed = await laptop_socket.receive_output(timeout=1)
    assert closed == {"type": "websocket.close", "code": 4403}
    await channel_layers["default"].group_send(user_group_name(member.pk), {"type": "notification.created"})
    assert await phone_socket.receive_json_from(timeout=2) == {"type": "notification"}
    await phone_socket.disconnect()


async def test_a_deactivated_members_notification_socket_is_closed(channel_layer_kind, member):
    from asgiref.sync import sync_to_async

    communicator = connect("/ws/notifications/", await session_cookie_for(member))
    assert (await communicator.connect())[0]

    def deactivate() -> None:
        member.is_active = False
        member.save()

    await sync_to_async(deactivate)()

    assert await communicator.receive_output(timeout=1) == {"type": "websocket.close", "code": 4403}


async def test_a_notification_socket_that_floods_frames_is_closed_with_1008(channel_layer_kind, member):
    from discussions import consumers

    communicator = connect("/ws/notifications/", await session_cookie_for(member))
    connected, _ = await communicator.connect()
    assert connected

    for _ in range(consumers.FRAME_BURST * 3):
        await communicator.send_to(text_data='{"type": "ping"}')

    answers = 0
    while True:
        output = await communicator.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            assert output["code"] == 1008
            break
        answers += 1
    assert answers <= consumers.FRAME_BURST


async def test_without_a_shared_layer_the_bell_hears_what_a_worker_process_wrote(settings, monkeypatch, member):
    # `make run`: the job worker is another process, and an in-memory layer stops at its edge.
    from asgiref.sync import sync_to_async

    from notifications.models import Notification

    settings.JOBS_IMMEDIATE = False
    monkeypatch.setattr("notifications.consumers.BELL_WATCH_SECONDS", 0.05)
    with override_settings(CHANNEL_LAYERS=layer_settings("memory")):
        channel_layers.backends.clear()
        communicator = connect("/ws/notifications/", await session_cookie_for(member))
        assert (await communicator.connect())[0]
        assert await communicator.receive_nothing(timeout=0.3)

        await sync_to_async(Notification.objects.create)(
            recipient=member, kind=Notification.Kind.REPLY_TO_DISCUSSION, message="Theo replied", url="/d/1/"
        )

        assert await communicator.receive_json_from(timeout=2) == {"type": "notification"}
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
    channel_layers.backends.clear()
