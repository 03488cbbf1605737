"""Everything that leaves the server over a live socket is published here.

Services call these after they change something; each schedules its publish
for after the transaction commits, so a rolled-back change is never announced.
This is the only place that waits for a commit to publish; follow-up work that
must not be lost is a job (``spoonful.jobs``), queued with the change itself.
Events carry identifiers and numbers only; what a socket finally receives is
decided (and rendered once per audience) by the receiving process in
``discussions.live.hub``, which re-reads the database.
"""

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

from discussions.live import transport

logger = logging.getLogger(__name__)


def user_group_name(user_id: int) -> str:
    return f"user-{user_id}"


def _publish_after_commit(event: dict) -> None:
    def send() -> None:
        try:
            transport.publish(event)
        except Exception:
            # Live updates are an enhancement; the database already has the change
            # and pages catch up on reconnect.
            logger.warning("live update %s could not be sent", event["type"], exc_info=True)

    transaction.on_commit(send)


def _send_to_groups_after_commit(groups: list[str], event: dict) -> None:
    def send() -> None:
        try:
            layer = get_channel_layer()
            for group in groups:
                async_to_sync(layer.group_send)(group, event)
        except Exception:
            logger.warning("live update %s to %d group(s) could not be sent", event["type"], len(groups), exc_info=True)

    transaction.on_commit(send)


def generation_raised(key: str) -> None:
    """What was kept under the generation ``key`` names is out of date (related lists in
    ``discussions.related``, pages in ``discussions.visitor_pages``): the generation rises now,
    for this transaction's own reads, and again once it commits, so what another request
    read from the rows before the commit is never kept as current."""

    def raise_generation() -> None:
        try:
            cache.incr(key)
        except ValueError:
            # Missing (never raised, or evicted): what was kept meanwhile was kept under 0.
            cache.add(key, 1, None)

    raise_generation()
    transaction.on_commit(raise_generation)


def visitor_page_generation_key(discussion_id: int) -> str:
    return f"visitor-page:generation:{discussion_id}"


# Every page kept for visitors shows people: their names and clinicians' badges.
VISITOR_PAGES_PEOPLE_KEY = "visitor-page:generation:people"


def _visitor_page_changed(discussion_id: int) -> None:
    generation_raised(visitor_page_generation_key(discussion_id))


def people_shown_changed() -> None:
    """What posts show of their authors changed (a display name, a clinician's badge granted,
    revoked or expired): every page kept for visitors is out of date."""
    generation_raised(VISITOR_PAGES_PEOPLE_KEY)


def conversation_changed(*, user_ids: Iterable[int], url: str) -> None:
    """A new private message: each member's open pages fetch it (the frame has no words)."""
    _send_to_groups_after_commit(
        [user_group_name(user_id) for user_id in user_ids], {"type": "conversation.message", "url": url}
    )


def reply_created(*, discussion_id: int, number: int) -> None:
    _visitor_page_changed(discussion_id)
    _publish_after_commit({"type": "reply.created", "discussion_id": discussion_id, "number": number})


def reply_changed(*, discussion_id: int, number: int) -> None:
    """A reply was edited, removed, restored or deleted by its author."""
    _visitor_page_changed(discussion_id)
    _publish_after_commit({"type": "reply.changed", "discussion_id": discussion_id, "number": number})


def discussion_changed(*, discussion_id: int) -> None:
    """Locked, unlocked, edited, or its audience changed: sockets re-check access."""
    _visitor_page_changed(discussion_id)
    _publish_after_commit({"type": "discussion.changed", "discussion_id": discussion_id})


def access_changed(*, user_id: int, ended_session_key: str | None = None) -> None:
    """A member's access shrank (left, removed, banned, suspended, signed out, password changed).

    Their discussion sockets re-check (in every process); their notification
    socket, which lives on the channel layer, re-checks its session.
    ``ended_session_key`` names a session that is ending right now (signing out
    announces before the session is flushed), so its sockets close without a check.
    """
    event = {"type": "access.changed", "user_id": user_id}
    if ended_session_key:
        event["ended_session"] = transport.session_fingerprint(ended_session_key)
    _publish_after_commit(event)
    _send_to_groups_after_commit([user_group_name(user_id)], event)


def bells_changed(*, user_ids: Iterable[int]) -> None:
    """New notifications: each member's bell asks for its count again (a frame with no count in it)."""
    _send_to_groups_after_commit([user_group_name(user_id) for user_id in user_ids], {"type": "notification.created"})


def reactions_changed(*, discussion_id: int, number: int | None) -> None:
    """A member reacted to a post or took a reaction back (``number`` None: the discussion
    itself). The hub counts again for each reader, leaving out whom they blocked."""
    _visitor_page_changed(discussion_id)
    _publish_after_commit({"type": "reactions.changed", "discussion_id": discussion_id, "number": number})
