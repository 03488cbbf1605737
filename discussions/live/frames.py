"""What each audience receives: the frames an event becomes, rendered once per audience.

Audiences are signed-out visitors, members, moderators, and the reply's own
author. A reply is rendered with the page's own partial, prepared by the page's
own code, for one representative reader of each audience.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import AnonymousUser

from accounts.access import access_refresh_many
from accounts.models import Block
from discussions.live.admission import Audience
from discussions.models import Discussion, Reaction, Reply
from discussions.presenters import reply_get_for_audiences, reply_html_by_audience

RESYNC_FRAME = '{"type": "resync"}'


def _viewer_for(audience: str, readers: list, exclude: int | None):
    """A representative viewer for an audience: one of its own readers (as they
    signed in on this socket) who is not the reply's author."""
    if audience == Audience.VISITOR:
        return AnonymousUser()
    for user in readers:
        if user.pk != exclude:
            return user
    return None


def _stand_ins(audiences: dict[str, list], exclude: int | None) -> dict:
    # An audience whose only reader here is the reply's author has none: they get the author frame.
    viewers = {audience: _viewer_for(audience, users, exclude) for audience, users in audiences.items()}
    return {audience: viewer for audience, viewer in viewers.items() if viewer is not None}


def build_reply_frames(
    event: dict, seq: int, audiences: dict[str, list], authors_present: dict[int, Any]
) -> tuple[dict[str, str], int | None]:
    """Render a reply event once per audience present in this process.

    Audiences are: signed-out visitors, members, moderators, and the reply's own
    author (who sees their anonymous or held reply as theirs). Each is rendered
    for one representative reader of it, so nothing personal to one member
    beyond authorship may go in the partial. Returns frames keyed by audience
    and the author's id. A reply an audience may not see becomes a
    bare ``seq`` frame for it, so its seq stays contiguous without content.
    The reply and what each audience may see of it are one query, with one
    before it for the readers' access versions; a reply whose author reads here
    costs one more of each.
    """
    number = event["number"]
    skip = json.dumps({"type": "seq", "seq": seq})
    listed = [user for users in audiences.values() for user in users if user is not None]
    # Signed in when their sockets opened: what they may see now is asked afresh.
    access_refresh_many(listed)
    viewers = _stand_ins(audiences, exclude=None)
    reply, shown = reply_get_for_audiences(discussion_id=event["discussion_id"], number=number, viewers=viewers)
    if reply is None:
        return {audience: skip for audience in audiences}, None
    if reply.author_id in authors_present:
        # Its author reads here: they get a frame of their own, and stand in for no other audience.
        author = authors_present[reply.author_id]
        if author not in listed:
            access_refresh_many([author])
        before = viewers
        viewers = {**_stand_ins(audiences, exclude=reply.author_id), Audience.AUTHOR: author}
        changed = {
            audience: viewer
            for audience, viewer in viewers.items()
            if audience not in before or before[audience].pk != viewer.pk
        }
        _, shown_changed = reply_get_for_audiences(discussion_id=event["discussion_id"], number=number, viewers=changed)
        shown = (shown - set(changed)) | shown_changed
    kind = "reply.created" if event["type"] == "reply.created" else "reply.changed"
    # The page's own partial, prepared for each audience by the page's own code.
    html_by_audience = reply_html_by_audience(
        reply, {audience: viewer for audience, viewer in viewers.items() if audience in shown}
    )
    frames: dict[str, str] = {}
    for audience in viewers:
        html = html_by_audience.get(audience)
        if html is None:
            # Held, or hidden for review: readers who had it must drop it.
            frames[audience] = (
                json.dumps({"type": "reply.gone", "seq": seq, "number": number}) if kind == "reply.changed" else skip
            )
            continue
        frames[audience] = json.dumps(
            {
                "type": kind,
                "seq": seq,
                "number": number,
                "parent": reply.parent_number,
                "tombstone": reply.is_tombstone,
                "html": html,
            }
        )
    return frames, reply.author_id


def discussion_state(discussion_id: int) -> dict:
    """What a ``discussion`` frame carries: the discussion's state as it is now."""
    discussion = Discussion.objects.filter(pk=discussion_id).only("is_locked").first()
    return {"locked": bool(discussion and discussion.is_locked)}


def build_reaction_frames(event: dict, seq: int, reader_ids: set[int]) -> tuple[str, dict[int, str]]:
    """The counts of one post's reactions after a change: one frame for every reader,
    and a frame of their own for the readers it would not fit. A reader who blocked a
    member who reacted gets counts without that member's reactions; a reader who reacted
    gets which kinds are theirs (``mine``). Counts only, never who: names stay on the
    "who reacted" page, behind the visibility rule. A post no longer shown with
    reactions (removed, hidden, deleted) becomes a bare ``seq`` frame.
    Three queries: the post, its reactions, and blocks between readers and reactors."""
    number = event["number"]
    skip = json.dumps({"type": "seq", "seq": seq})
    if number is None:
        post = Discussion.objects.filter(pk=event["discussion_id"]).only("status").first()
        reactions = Reaction.objects.filter(discussion_id=event["discussion_id"])
    else:
        post = Reply.objects.filter(discussion_id=event["discussion_id"], number=number).only("status").first()
        reactions = Reaction.objects.filter(reply=post)
    if post is None or not post.is_published:
        return skip, {}
    rows = list(reactions.values_list("user_id", "kind"))
    reactors = {user_id for user_id, _ in rows}
    blocked_by: dict[int, set[int]] = {}
    readers_reacting = reader_ids & reactors
    if reader_ids and reactors:
        pairs = Block.objects.filter(blocker_id__in=reader_ids, blocked_id__in=reactors).values_list(
            "blocker_id", "blocked_id"
        )
        for blocker_id, blocked_id in pairs:
            blocked_by.setdefault(blocker_id, set()).add(blocked_id)

    def frame(hidden: set[int], mine: list[str]) -> str:
        counts = dict.fromkeys(Reaction.Kind.values, 0)
        for user_id, kind in rows:
            if user_id not in hidden:
                counts[kind] += 1
        return json.dumps({"type": "reactions", "seq": seq, "number": number, "counts": counts, "mine": mine})

    personal = {
        reader_id: frame(
            blocked_by.get(reader_id, set()), sorted(kind for user_id, kind in rows if user_id == reader_id)
        )
        for reader_id in set(blocked_by) | readers_reacting
    }
    return frame(set(), []), personal
