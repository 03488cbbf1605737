"""Reaction counts over the discussion socket, on both transports: counts only (never who),
each reader's own kinds to that reader alone, and a blocker's counts without whom they blocked."""

import pytest
from django.db import transaction

from accounts.models import Block
from discussions import events
from discussions.models import Reply
from discussions.reactions import reaction_toggle
from tests.helpers.live import add_reply, change_reply, db, follow, make_discussion, receive_type

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_hub")]

NONE = {"me_too": 0, "thank_you": 0, "strength": 0}


async def test_readers_see_the_new_count_live_and_only_the_reactor_sees_it_as_theirs(
    transport, member, other_member, outsider
):
    discussion = await db(make_discussion)(member)
    reply = await db(add_reply)(discussion, other_member, "Lying down helps.")
    author, _ = await follow(discussion.pk, other_member)
    reactor, _ = await follow(discussion.pk, outsider)
    visitor, _ = await follow(discussion.pk)

    await db(reaction_toggle)(user=outsider, post=reply, kind="thank_you")

    expected = {**NONE, "thank_you": 1}
    for comm, mine in ((author, []), (visitor, []), (reactor, ["thank_you"])):
        frame = await receive_type(comm, "reactions")
        assert frame["number"] == 1 and frame["counts"] == expected and frame["mine"] == mine
        assert set(frame) == {"type", "seq", "number", "counts", "mine"}  # no names, no ids
    for comm in (author, reactor, visitor):
        await comm.disconnect()


async def test_a_blocker_gets_counts_without_the_member_they_blocked(transport, member, other_member, outsider):
    discussion = await db(make_discussion)(member)
    await db(Block.objects.create)(blocker=other_member, blocked=outsider)
    blocker, _ = await follow(discussion.pk, other_member)
    bystander, _ = await follow(discussion.pk)

    await db(reaction_toggle)(user=outsider, post=discussion, kind="strength")

    assert (await receive_type(blocker, "reactions"))["counts"] == NONE
    frame = await receive_type(bystander, "reactions")
    assert frame["number"] is None and frame["counts"] == {**NONE, "strength": 1}
    await blocker.disconnect()
    await bystander.disconnect()


async def test_an_edited_reply_goes_out_without_anyones_counts(transport, member, other_member, outsider):
    discussion = await db(make_discussion)(member)
    reply = await db(add_reply)(discussion, other_member, "Lying down helps.")
    await db(reaction_toggle)(user=outsider, post=reply, kind="me_too")
    reader, _ = await follow(discussion.pk, member)

    await db(change_reply)(reply, body_html="<p>Lying down helps, edited.</p>")

    frame = await receive_type(reader, "reply.changed")
    assert 'id="reply-1-reactions"' in frame["html"]
    assert '<span class="reaction-count" data-kind="me_too">0</span>' in frame["html"]
    await reader.disconnect()


async def test_a_reaction_on_a_reply_removed_meanwhile_is_only_a_sequence_number(transport, member, other_member):
    discussion = await db(make_discussion)(member)
    reply = await db(add_reply)(discussion, other_member)
    reader, _ = await follow(discussion.pk, member)
    await db(Reply.objects.filter(pk=reply.pk).update)(status=Reply.Status.REMOVED)

    await db(_announce)(discussion.pk, 1)

    frame = await receive_type(reader, "seq")
    assert set(frame) == {"type", "seq"}
    await reader.disconnect()


def _announce(discussion_id: int, number: int) -> None:
    with transaction.atomic():
        events.reactions_changed(discussion_id=discussion_id, number=number)
