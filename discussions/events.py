"""Everything that leaves the server over a live socket is published here."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group_name(user_id: int) -> str:
    return f"user-{user_id}"


def publish_to_user(user_id: int, event: dict) -> None:
    async_to_sync(get_channel_layer().group_send)(user_group_name(user_id), event)
