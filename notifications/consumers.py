"""``/ws/notifications/``: the signed-in member's own socket (the bell, and account events).

It rides the channel layer (one group per member); the discussion sockets and the
frame rules they share with this one are in ``discussions.consumers``.
"""

import asyncio
import contextlib

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.models import User
from accounts.selectors import is_signed_in_member
from discussions.consumers import (
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_UNSUPPORTED_DATA,
    MAX_CLIENT_FRAME,
    SocketClosingMixin,
)
from discussions.events import user_group_name
from discussions.live import timing
from discussions.live.admission import session_belongs_to
from discussions.live.timing import on_live_thread
from discussions.live.transport import session_fingerprint
from notifications.selectors import newest_in_app_notification_id
from spoonful.socket_auth import socket_user

CLOSE_UNAUTHENTICATED = 4401
# How often a bell that cannot hear the job worker looks at the database instead (see below).
BELL_WATCH_SECONDS = 5


def _worker_unheard() -> bool:
    """Jobs (most notifications among them) run in a worker process, and an in-memory channel
    layer (no REDIS_URL: `make run`) does not reach from there to this one."""
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    return not settings.JOBS_IMMEDIATE and backend == "channels.layers.InMemoryChannelLayer"


class NotificationConsumer(SocketClosingMixin, AsyncJsonWebsocketConsumer):
    """The signed-in member's own channel: notifications and account events."""

    async def connect(self) -> None:
        # On the handshake threads, as the discussion sockets are: a page opens both at once.
        user = await on_live_thread(socket_user, timing.HANDSHAKE_THREADS)(self.scope)
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group_name = user_group_name(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        if _worker_unheard():
            newest = await database_sync_to_async(newest_in_app_notification_id)(user.pk)
            self.bell_watch = asyncio.create_task(self._watch_bell(user.pk, newest))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)
        if hasattr(self, "bell_watch"):
            self.bell_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.bell_watch

    async def _watch_bell(self, user_id: int, newest: int | None) -> None:
        while True:
            await asyncio.sleep(BELL_WATCH_SECONDS)
            now = await database_sync_to_async(newest_in_app_notification_id)(user_id)
            if now != newest:
                newest = now
                await self.send_json({"type": "notification"})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        if not await self.frame_admitted():
            return
        if text_data is None:
            await self._refuse(CLOSE_UNSUPPORTED_DATA)
            return
        if len(text_data) > MAX_CLIENT_FRAME:
            await self._refuse(CLOSE_MESSAGE_TOO_BIG)
            return
        await super().receive(text_data=text_data, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        # The stream is one way; a client has nothing to ask of it.
        await self.send_json({"type": "error", "reason": "this socket takes no messages"})

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def notification_created(self, event: dict) -> None:
        await self.send_json({"type": "notification"})

    async def conversation_message(self, event: dict) -> None:
        await self.send_json({"type": "conversation", "url": event["url"]})

    async def access_changed(self, event: dict) -> None:
        # Only this session's own standing matters here: signing out on one device
        # leaves the others open.
        user = self.scope["user"]
        session = self.scope.get("session")
        key = session.session_key if session is not None else None
        ended = event.get("ended_session")
        if ended and key and session_fingerprint(key) == ended:
            await self.close(code=4403)
            return
        still = await database_sync_to_async(_session_still_valid)(user.pk, key)
        if not still:
            await self.close(code=4403)


def _session_still_valid(user_id: int, session_key: str | None) -> bool:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not is_signed_in_member(user):
        return False
    return session_belongs_to(user, session_key)
