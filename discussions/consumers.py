import json
import logging
import time

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from discussions.live import admission, timing
from discussions.live.hub import Hub, get_hub
from discussions.live.sockets import Reader, find_protocol
from discussions.live.timing import on_live_thread
from spoonful.ratelimits import socket_client_ip
from spoonful.socket_auth import socket_user

logger = logging.getLogger(__name__)

# Standard codes (RFC 6455) for a client that misbehaves.
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_INVALID_PAYLOAD = 1007
CLOSE_POLICY_VIOLATION = 1008
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_TRY_AGAIN_LATER = 1013
# The client only ever sends tiny pings; anything bigger is abuse. (daphne's own
# protocol limit, --websocket_max_message_size, defaults to 1 MiB and closes 1009 too.)
MAX_CLIENT_FRAME = 1024
# Frames a client may send: a burst of FRAME_BURST, then FRAME_RATE a second on
# average. Pages ping every 25 seconds, so only a flood reaches the limit; one
# socket sending tens of thousands of frames a second otherwise slows every page
# this process serves.
FRAME_BURST = 10
FRAME_RATE = 1.0


class FrameBudget:
    """A token bucket per socket: plain arithmetic, no I/O, so that checking it
    costs a flood next to nothing."""

    def __init__(self) -> None:
        self.tokens = float(FRAME_BURST)
        self.checked_at = time.monotonic()

    def spend(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(FRAME_BURST), self.tokens + (now - self.checked_at) * FRAME_RATE)
        self.checked_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class SocketClosingMixin:
    refused = False  # set once the socket is being closed: later frames are dropped unread
    budget: FrameBudget | None = None

    async def dispatch(self, message: dict) -> None:
        # channels' own dispatch first closes stale database connections, a thread hop for
        # every message (each ping included); these consumers reach the database only
        # through database_sync_to_async, which does that on the thread it runs on.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict) -> None:
        # channels' own also hops to close database connections; see dispatch.
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def frame_admitted(self) -> bool:
        """Whether to handle this frame: not once the socket is being closed, and not
        over the frame budget (which closes the socket with 1008)."""
        if self.refused:
            return False
        if self.budget is None:
            self.budget = FrameBudget()
        if self.budget.spend():
            return True
        logger.info("live: closing a socket that sent frames too fast")
        await self._refuse(CLOSE_POLICY_VIOLATION)
        return False

    async def _refuse(self, code: int) -> None:
        self.refused = True
        await self.close_with(code)

    async def close_with(self, code: int) -> None:
        """Close with any code, standard ones included.

        autobahn (under daphne) only lets applications send 1000 and 3000-4999,
        so the standard abuse codes are written at the protocol level there.
        """
        protocol = find_protocol(self.base_send)
        if protocol is not None and not 3000 <= code <= 4999 and code != 1000:
            if protocol.state == protocol.STATE_OPEN:
                protocol.sendCloseFrame(code=code)
            return
        await self.close(code=code)


class DiscussionConsumer(SocketClosingMixin, AsyncWebsocketConsumer):
    """One discussion as it happens: ``/ws/d/<id>/``.

    The origin and session were checked by the ASGI stack; here the one
    visibility rule decides. Missing and forbidden are both closed with 4403,
    after accepting, so browsers see the code and stop retrying.
    """

    # Fed by this process's hub, not by the channel layer: an alias that names no
    # layer gives the consumer none, so a thousand sockets are not a thousand
    # channel-layer receivers.
    channel_layer_alias = "live-updates-use-no-channel-layer"
    reader: Reader | None = None
    hub: Hub | None = None

    async def connect(self) -> None:
        discussion_id = int(self.scope["url_route"]["kwargs"]["discussion_id"])
        await self.accept()
        try:
            self.hub = await get_hub()
        except Exception:
            logger.warning("live: no transport for a new socket", exc_info=True)
            await self.close_with(CLOSE_TRY_AGAIN_LATER)
            return
        epoch = self.hub.access_epoch
        user, admitted = await on_live_thread(_handshake, timing.HANDSHAKE_THREADS)(self.scope, discussion_id)
        if admitted is None:
            await self.close(code=admission.CLOSE_FORBIDDEN)
            return
        signed_in = admitted.audience != admission.Audience.VISITOR
        if signed_in and self.hub.sockets_of(user.pk) >= admission.MAX_SOCKETS_PER_MEMBER:
            await self.close(code=admission.CLOSE_TOO_MANY)
            return
        address = None if signed_in else socket_client_ip(self.scope)
        if address is not None and self.hub.sockets_from(address) >= admission.MAX_VISITOR_SOCKETS_PER_ADDRESS:
            await self.close(code=admission.CLOSE_TOO_MANY)
            return
        session = self.scope.get("session")
        self.reader = Reader(
            consumer=self,
            discussion_id=discussion_id,
            user_id=user.pk if signed_in else None,
            session_key=session.session_key if (signed_in and session is not None) else None,
            audience=admitted.audience,
            user=user if signed_in else None,
            protocol=find_protocol(self.base_send),
            address=address,
        )
        await self.hub.join(
            self.reader,
            {"type": "hello", "locked": admitted.locked, "last_number": admitted.last_number},
            admitted_at_epoch=epoch,
        )

    async def disconnect(self, code: int) -> None:
        if self.reader is not None and self.hub is not None:
            self.hub.leave(self.reader)
            self.reader.closed = True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not await self.frame_admitted():
            return
        if text_data is None:
            await self._refuse(CLOSE_UNSUPPORTED_DATA)
            return
        if len(text_data) > MAX_CLIENT_FRAME:
            await self._refuse(CLOSE_MESSAGE_TOO_BIG)
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._refuse(CLOSE_INVALID_PAYLOAD)
            return
        if not isinstance(message, dict) or message.get("type") != "ping":
            await self._refuse(CLOSE_INVALID_PAYLOAD)
            return
        if self.reader is not None and not self.reader.closed:
            await self.send(text_data=json.dumps({"type": "pong"}))

    async def _refuse(self, code: int) -> None:
        if self.reader is not None and self.hub is not None:
            self.hub.leave(self.reader)
            self.reader.closed = True
        await super()._refuse(code)


def _handshake(scope: dict, discussion_id: int) -> tuple:
    """The socket's user and their admission, in one thread hop: the session and the
    access context come from the cache, the user row and the discussion from the database."""
    user = socket_user(scope)
    return user, admission.admission(user, discussion_id)
