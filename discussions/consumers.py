from channels.generic.websocket import AsyncJsonWebsocketConsumer

from discussions.events import user_group_name

CLOSE_UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """The signed-in member's own channel: notifications and account events."""

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group_name = user_group_name(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # The stream is one way; a client has nothing to ask of it.
        await self.send_json({"type": "error", "reason": "this socket takes no messages"})

    async def notification_created(self, event: dict) -> None:
        await self.send_json({"type": "notification", "unread": event["unread"]})

    async def access_changed(self, event: dict) -> None:
        await self.close(code=4403)
