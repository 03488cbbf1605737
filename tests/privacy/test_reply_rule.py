"""One reply rule across discussions (``reply_list_readable_by``) on every surface that
reads replies: a reply is readable where its discussion is, in a state shown to the
viewer. Its text leaves the thread (search, profiles, notifications) only when published.

Besides the matrix world's one reply per discussion state, the public discussion gets
one reply by the member in each reply state, each with its own canary.
"""

import json

import pytest

from discussions.models import Reply
from discussions.search import search_discussions
from discussions.selectors import reply_list_readable_by, reply_list_visible_to
from notifications.models import Notification
from tests.helpers.discovery import index_now
from tests.helpers.privacy import STATES, VIEWERS, allowed, reply_canary

pytestmark = pytest.mark.django_db

REPLY_STATES = ["published", "held", "hidden", "removed", "deleted"]
TOMBSTONES = {"removed", "deleted"}
# Whose text is the reply's author's alone until a moderator approves it.
OWN_ONLY = {"held", "hidden"}
WRITER = "member"


def reply_state_canary(state: str) -> str:
    return f"rplst{state}qx"


@pytest.fixture
def replies(world) -> dict[str, Reply]:
    """One reply by the member in each reply state, in the public discussion."""
    discussion = world.posts["public"]
    made = {}
    for number, state in enumerate(REPLY_STATES, start=2):
        made[state] = Reply.objects.create(
            discussion=discussion,
            author=world.users[WRITER],
            number=number,
            path=str(number).zfill(6),
            body=f"{reply_state_canary(state)} pace yourself",
            body_html=f"<p>{reply_state_canary(state)} pace yourself</p>",
            status=state,
        )
    discussion.last_reply_number = len(REPLY_STATES) + 1
    discussion.save(update_fields=["last_reply_number"])
    index_now(discussion.pk)
    return made


def _shown_in_thread(viewer: str, state: str) -> bool:
    return state not in OWN_ONLY or viewer == WRITER


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_set_rule_holds_each_readable_discussions_replies_in_the_states_shown(world, replies, viewer):
    readable = set(reply_list_readable_by(world.viewer(viewer)).values_list("pk", flat=True))

    expected = {world.posts[state].replies.get(number=1).pk for state in STATES if allowed(viewer, state)}
    expected |= {reply.pk for state, reply in replies.items() if _shown_in_thread(viewer, state)}
    assert readable == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_thread_of_a_discussion_the_viewer_may_not_read_is_empty_whoever_asks(world, viewer):
    """The per-discussion rule is the set rule narrowed: a caller that forgot the
    discussion check still gets nothing."""
    for state in STATES:
        thread = reply_list_visible_to(world.viewer(viewer), world.posts[state])
        assert thread.exists() == allowed(viewer, state), state


@pytest.mark.parametrize("viewer", VIEWERS)
def test_search_matches_reply_text_only_of_published_replies_in_readable_discussions(world, replies, viewer):
    for state in STATES:
        found = search_discussions(viewer=world.viewer(viewer), query=reply_canary(state)).results
        assert bool(found) == allowed(viewer, state), state
    for state in REPLY_STATES:
        found = search_discussions(viewer=world.viewer(viewer), query=reply_state_canary(state)).results
        assert bool(found) == (state == "published"), state


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_profile_lists_only_published_replies_in_readable_discussions(world, replies, viewer):
    response = world.client(viewer).get(f"/u/{world.users[WRITER].username}/")

    listed = {reply.pk for reply in response.context["replies"]}
    expected = {world.posts[state].replies.get(number=1).pk for state in STATES if allowed(viewer, state)}
    expected.add(replies["published"].pk)
    assert listed == expected
    assert response.context["reply_count"] == len(expected)


def test_notifications_list_only_published_replies_in_readable_discussions(world, replies):
    recipient = world.users["author"]
    for reply in [*replies.values(), *(world.posts[state].replies.get(number=1) for state in STATES)]:
        Notification.objects.create(
            recipient=recipient,
            kind=Notification.Kind.REPLY_TO_DISCUSSION,
            actor=reply.author,
            discussion=reply.discussion,
            reply=reply,
        )

    response = world.client("author").get("/notifications/")

    listed = {item.reply_id for item in response.context["items"]}
    expected = {world.posts[state].replies.get(number=1).pk for state in STATES if allowed("author", state)}
    expected.add(replies["published"].pk)
    assert listed == expected


@pytest.mark.parametrize("viewer", VIEWERS)
def test_catch_up_json_holds_the_thread_as_the_rule_shows_it(world, replies, viewer):
    discussion = world.posts["public"]
    response = world.client(viewer).get(f"/d/{discussion.pk}/replies/?after=0", headers={"Accept": "application/json"})

    sent = {item["number"]: item["html"] for item in json.loads(response.content)["replies"]}
    expected = {1} | {reply.number for state, reply in replies.items() if _shown_in_thread(viewer, state)}
    assert set(sent) == expected
    for state, reply in replies.items():
        if reply.number in sent:
            assert (reply_state_canary(state) in sent[reply.number]) == (state not in TOMBSTONES), state
