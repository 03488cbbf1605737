"""Everything that leaves the server over a live socket is published here.

Services call these after they change something; each schedules its publish
for after the transaction commits, so a rolled-back change is never announced.
Frames carry identifiers and numbers; what a socket finally receives is decided
(and rendered per audience) on the consuming side.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group_name(user_id: int) -> str:
    return f"user-{user_id}"


def discussion_group_name(discussion_id: int) -> str:
    return f"discussion-{discussion_id}"


def _send_after_commit(group: str, event: dict) -> None:
    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(group, event)
        except Exception:
            # Live updates are an enhancement; the database already has the change
            # and pages catch up on reconnect.
            logger.warning("live update to %s could not be sent", group, exc_info=True)

    transaction.on_commit(send)


def reply_created(*, discussion_id: int, number: int) -> None:
    _send_after_commit(
        discussion_group_name(discussion_id),
        {"type": "reply.created", "discussion_id": discussion_id, "number": number},
    )


def reply_changed(*, discussion_id: int, number: int) -> None:
    """A reply was edited, removed, restored or deleted by its author."""
    _send_after_commit(
        discussion_group_name(discussion_id),
        {"type": "reply.changed", "discussion_id": discussion_id, "number": number},
    )


def discussion_changed(*, discussion_id: int) -> None:
    """Locked, unlocked, edited, or its audience changed: sockets re-check access."""
    _send_after_commit(
        discussion_group_name(discussion_id), {"type": "discussion.changed", "discussion_id": discussion_id}
    )


def access_changed(*, user_id: int) -> None:
    """A member's access shrank (left, removed, banned, suspended, signed out, password changed)."""
    _send_after_commit(user_group_name(user_id), {"type": "access.changed", "user_id": user_id})
