"""Reactions: one of each kind per member and post, taken back by posting the same again,
offered to whoever may reply (never on their own post), shown to whoever may read the
post, never showing a blocked member to the blocker, and ranking nothing unless asked."""

import json
import re

import pytest
from django.test import Client

from accounts.models import Block
from community.models import Membership
from discussions import services
from discussions.live import transport
from discussions.models import Discussion, Reaction, Reply, Visibility
from discussions.reactions import reaction_toggle
from discussions.selectors import reaction_counts_for, reply_list_most_thanked
from discussions.templatetags.reactions import TOKEN_SLOT
from moderation.member_actions import member_mute
from moderation.services import discussion_lock

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def thread(start, other_member):
    """A public discussion by Alice with two replies by Carol (#1, and #2 answering it)."""
    discussion = start(title="Pacing on bad days")
    services.reply_create(author=other_member, discussion=discussion, body="Lying down helps.")
    services.reply_create(author=other_member, discussion=discussion, body="And water.", parent_number=1)
    return discussion


def react(client: Client, discussion: Discussion, kind: str, number: str = "", **extra):
    return client.post(f"/d/{discussion.pk}/react/", {"kind": kind, "number": number}, **extra)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, discussion: Discussion, query: str = "") -> str:
    response = client.get(discussion.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


# --- Toggling ---------------------------------------------------------------------------


def test_a_member_reacts_to_a_reply_and_takes_it_back_by_posting_the_same_again(thread, outsider):
    client = signed_in(outsider)
    first = react(client, thread, "thank_you", "1", **JSON)
    assert first.status_code == 200
    assert first.json() == {
        "number": 1,
        "kind": "thank_you",
        "reacted": True,
        "counts": {"me_too": 0, "thank_you": 1, "strength": 0},
        "mine": ["thank_you"],
    }
    second = react(client, thread, "thank_you", "1", **JSON)
    assert second.json()["reacted"] is False and second.json()["counts"]["thank_you"] == 0
    assert not Reaction.objects.exists()


def test_one_of_each_kind_per_member_and_post(thread, outsider, member):
    client = signed_in(outsider)
    for kind in ("me_too", "thank_you", "strength"):
        assert react(client, thread, kind, "1", **JSON).json()["reacted"] is True
    assert react(client, thread, "me_too", "", **JSON).json()["counts"]["me_too"] == 1
    assert Reaction.objects.filter(user=outsider).count() == 4
    assert react(signed_in(member), thread, "me_too", "1", **JSON).json()["counts"] == {
        "me_too": 2,
        "thank_you": 1,
        "strength": 1,
    }


def test_the_same_reaction_twice_at_once_leaves_one(thread, outsider):
    reply = Reply.objects.get(discussion=thread, number=1)
    Reaction.objects.create(user=outsider, reply=reply, kind=Reaction.Kind.STRENGTH)
    # The other click's row is already there: toggling with a stale view takes it back, never errors.
    assert reaction_toggle(user=outsider, post=reply, kind="strength").reacted is False
    assert reaction_toggle(user=outsider, post=reply, kind="strength").reacted is True
    assert Reaction.objects.filter(user=outsider).count() == 1


def test_without_javascript_the_form_posts_and_the_page_reloads_at_the_post(thread, outsider):
    client = signed_in(outsider)
    response = react(client, thread, "strength", "2")
    assert response.status_code == 302
    assert response["Location"] == f"/d/{thread.pk}/#reply-2"
    response = react(client, thread, "me_too")
    assert response["Location"] == f"/d/{thread.pk}/#discussion-reactions"
    html = page(client, thread)
    assert 'aria-label="Sending strength, 1 member; you reacted"' in html
    assert 'aria-label="Me too, 1 member; you reacted"' in html


def test_without_javascript_each_form_carries_the_readers_own_token(thread, outsider):
    client = Client(enforce_csrf_checks=True)
    client.force_login(outsider)
    html = page(client, thread)
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 1 and TOKEN_SLOT not in html

    response = client.post(
        f"/d/{thread.pk}/react/", {"kind": "me_too", "number": "1", "csrfmiddlewaretoken": tokens.pop()}
    )

    assert response.status_code == 302


def test_a_remembered_bar_is_never_another_readers(thread, outsider, user_factory):
    dana = user_factory("dana", display_name="Dana")
    react(signed_in(outsider), thread, "thank_you", "1")
    assert 'aria-pressed="true" aria-label="Thank you, 1 member; you reacted"' in page(signed_in(outsider), thread)

    html = page(signed_in(dana), thread)

    assert "you reacted" not in html
    assert 'aria-pressed="false" aria-label="Thank you, 1 member"' in html


def test_a_visitors_page_asks_for_no_csrf_cookie(thread, outsider):
    react(signed_in(outsider), thread, "thank_you", "1")

    response = Client().get(thread.get_absolute_url())

    assert "csrftoken" not in response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_the_page_shows_three_buttons_under_each_post_with_counts_and_pressed_state(thread, outsider, user_factory):
    dana = user_factory("dana", display_name="Dana")
    react(signed_in(dana), thread, "thank_you", "1")
    react(signed_in(outsider), thread, "thank_you", "1")
    html = page(signed_in(outsider), thread)
    assert html.count('class="reaction"') == 9  # the discussion and two replies
    assert 'aria-label="Thank you, 2 members; you reacted" aria-pressed' not in html
    assert 'aria-pressed="true" aria-label="Thank you, 2 members; you reacted"' in html
    assert 'aria-pressed="false" aria-label="Me too, 0 members"' in html


# --- Bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "number", "reason"),
    [
        ("love", "1", "kind must be one of"),
        ("", "1", "kind must be one of"),
        ("thank_you", "one", "number must be a reply number"),
        ("thank_you", "-1", "number must be a reply number"),
        ("thank_you", "²", "number must be a reply number"),
        ("thank_you", "9" * 20, "number must be a reply number"),
    ],
)
def test_a_bad_kind_or_number_is_a_400_with_a_reason(thread, outsider, kind, number, reason):
    client = signed_in(outsider)
    response = react(client, thread, kind, number)
    assert response.status_code == 400 and reason in response.content.decode()
    response = react(client, thread, kind, number, **JSON)
    assert response.status_code == 400 and reason in response.json()["error"]
    assert not Reaction.objects.exists()


def test_a_missing_reply_is_a_404(thread, outsider):
    assert react(signed_in(outsider), thread, "me_too", "99").status_code == 404


# --- Who may react ----------------------------------------------------------------------


def test_a_private_communitys_post_is_a_404_to_outsiders_like_a_missing_one(
    start, member, outsider, hidden_circle, add_member
):
    add_member(member, hidden_circle)
    private = start(title="Only us", hashtags=["circle"], visibility=Visibility.COMMUNITY)
    services.reply_create(author=member, discussion=private, body="Inside words.")
    client = signed_in(outsider)
    assert react(client, private, "me_too").status_code == 404
    assert react(client, private, "me_too", "1").status_code == 404
    assert client.get(f"/d/{private.pk}/discussion/reactions/").status_code == 404
    assert client.get(f"/d/{private.pk}/replies/1/reactions/").status_code == 404
    assert react(Client(), private, "me_too").status_code == 404
    assert not Reaction.objects.exists()


def test_a_visitor_is_sent_to_sign_in(thread):
    response = react(Client(), thread, "me_too")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_member_may_not_react_to_their_own_post_and_sees_counts_without_buttons(thread, member, other_member):
    response = react(signed_in(member), thread, "thank_you", **JSON)
    assert response.status_code == 403 and "other members' posts" in response.json()["error"]
    response = react(signed_in(other_member), thread, "thank_you", "1")
    assert response.status_code == 302
    html = page(signed_in(other_member), thread)
    assert html.count('class="reaction"') == 3  # only under Alice's discussion


def test_a_muted_member_may_not_react_but_may_take_a_reaction_back(thread, outsider, mecfs, moderator, add_member):
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    client = signed_in(outsider)
    react(client, thread, "me_too", "1")
    member_mute(acting_user=moderator, user=outsider, community=mecfs, days=3, reason="Shouting")
    refused = react(client, thread, "strength", "1", **JSON)
    assert refused.status_code == 403 and "muted you in #mecfs" in refused.json()["error"]
    assert react(client, thread, "me_too", "1", **JSON).json()["reacted"] is False
    assert not Reaction.objects.exists()


def test_a_locked_discussion_takes_no_new_reactions(thread, outsider, staff):
    discussion_lock(acting_user=staff, discussion=thread)
    assert react(signed_in(outsider), thread, "me_too", "1", **JSON).status_code == 403


def test_removed_and_deleted_posts_take_and_show_no_reactions(thread, outsider, other_member):
    reply = Reply.objects.get(discussion=thread, number=1)
    Reaction.objects.create(user=outsider, reply=reply, kind="me_too")
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.REMOVED)
    client = signed_in(outsider)
    assert react(client, thread, "strength", "1", **JSON).status_code == 403
    assert 'id="reply-1-reactions"' not in page(client, thread)
    assert client.get(f"/d/{thread.pk}/replies/1/reactions/").status_code == 404


# --- Who sees what ----------------------------------------------------------------------


def test_a_blocked_members_reactions_are_not_shown_to_the_blocker(thread, member, outsider, user_factory):
    dana = user_factory("dana", display_name="Dana Blockedname")
    react(signed_in(dana), thread, "thank_you", "1")
    react(signed_in(outsider), thread, "thank_you", "1")
    Block.objects.create(blocker=member, blocked=dana)

    blocker = signed_in(member)
    assert 'aria-label="Thank you, 1 member"' in page(blocker, thread)
    who = blocker.get(f"/d/{thread.pk}/replies/1/reactions/").content.decode()
    assert "Bob" in who and "Dana Blockedname" not in who
    counts = reaction_counts_for(member, thread, list(Reply.objects.filter(discussion=thread)))
    assert counts[1]["counts"] == {"thank_you": 1}
    # Everyone else sees both.
    assert "Dana Blockedname" in signed_in(outsider).get(f"/d/{thread.pk}/replies/1/reactions/").content.decode()
    assert 'aria-label="Thank you, 2 members; you reacted"' in page(signed_in(outsider), thread)


def test_visitors_see_counts_but_never_who_reacted(thread, outsider):
    react(signed_in(outsider), thread, "strength", "2")
    html = page(Client(), thread)
    assert "Sending strength" in html and 'class="reaction"' not in html
    assert "Who reacted" not in html
    response = Client().get(f"/d/{thread.pk}/replies/2/reactions/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_who_reacted_lists_display_names_by_kind(thread, outsider, member):
    react(signed_in(outsider), thread, "strength", "2")
    react(signed_in(member), thread, "strength", "2")
    response = signed_in(member).get(f"/d/{thread.pk}/replies/2/reactions/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Who reacted to reply #2" in html and "Sending strength" in html
    listed = html[html.index('class="reaction-members"') :]
    assert listed.index("Bob") < listed.index("Alice")  # oldest first


# --- Most thanked first ------------------------------------------------------------------


def test_replies_stay_in_conversation_order_unless_most_thanked_first_is_asked_for(
    thread, outsider, member, user_factory
):
    services.reply_create(author=member, discussion=thread, body="Third reply.")
    for user in (outsider, user_factory("dana")):
        react(signed_in(user), thread, "thank_you", "3")
    react(signed_in(outsider), thread, "thank_you", "2")
    react(signed_in(outsider), thread, "me_too", "1")  # not a thank-you: ranks nothing

    client = signed_in(outsider)
    default = page(client, thread)
    assert default.index('id="reply-1"') < default.index('id="reply-2"') < default.index('id="reply-3"')
    ranked = page(client, thread, "?order=thanked")
    assert ranked.index('id="reply-3"') < ranked.index('id="reply-2"') < ranked.index('id="reply-1"')
    assert 'aria-current="page">Most thanked first' in ranked
    assert "replying to #1" in ranked  # no indentation out of order: it names its parent


def test_most_thanked_first_leaves_out_thanks_from_blocked_members(thread, member, user_factory):
    dana = user_factory("dana")
    react(signed_in(dana), thread, "thank_you", "2")
    Block.objects.create(blocker=member, blocked=dana)
    assert [r.number for r in reply_list_most_thanked(member, thread)] == [1, 2]
    assert [r.number for r in reply_list_most_thanked(dana, thread)] == [2, 1]


def test_most_thanked_first_pages_through_every_reply(thread, outsider, bulk_replies, other_member):
    bulk_replies(thread, 60, author=other_member)
    react(signed_in(outsider), thread, "thank_you", "40")
    client = signed_in(outsider)
    first = page(client, thread, "?order=thanked")
    assert first.index('id="reply-40"') < first.index('id="reply-1"')
    assert "?order=thanked&amp;page=2" in first
    second = page(client, thread, "?order=thanked&page=2")
    numbers = {int(n) for n in re.findall(r'id="reply-(\d+)"', first + second)}
    assert numbers == set(range(1, 63))
    assert page(client, thread, "?order=thanked&page=zz")  # a bad page is the first


def test_the_page_costs_one_query_more_with_reactions_on_every_reply(
    client, thread, outsider, other_member, bulk_replies, django_assert_max_num_queries
):
    bulk_replies(thread, 40, author=other_member)
    client.force_login(outsider)
    client.get(thread.get_absolute_url())
    for number in range(1, 43):
        Reaction.objects.create(user=outsider, reply=Reply.objects.get(discussion=thread, number=number), kind="me_too")
    # The member's page budget (tests/discussions/test_query_counts.py), whatever the reactions.
    with django_assert_max_num_queries(24):
        client.get(thread.get_absolute_url())
    with django_assert_max_num_queries(24):
        client.get(thread.get_absolute_url() + "?order=thanked")


# --- Live --------------------------------------------------------------------------------


def test_a_reaction_is_announced_after_commit_with_ids_only(
    thread, outsider, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(transport, "publish", published.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        react(signed_in(outsider), thread, "me_too", "2")
    assert not published  # nothing before the commit
    for callback in callbacks:
        callback()
    assert {"type": "reactions.changed", "discussion_id": thread.pk, "number": 2} in published
    assert json.dumps(published)  # ids and numbers only


def test_community_only_discussions_take_reactions_from_their_members_only(start, member, outsider, mecfs, add_member):
    discussion = start(title="Members", visibility=Visibility.COMMUNITY)
    assert react(signed_in(outsider), discussion, "me_too").status_code == 404
    add_member(outsider, mecfs)
    assert react(signed_in(outsider), discussion, "me_too").status_code == 302
    Membership.objects.filter(user=outsider).delete()
    # Gone from the community: not even taking it back; the export still lists it.
    assert react(signed_in(outsider), discussion, "me_too").status_code == 404
    assert Reaction.objects.filter(user=outsider).count() == 1


def test_a_member_the_author_blocked_is_refused_in_general_words(thread, member, outsider):
    Block.objects.create(blocker=member, blocked=outsider)
    response = react(signed_in(outsider), thread, "me_too", "1", **JSON)
    assert response.status_code == 403
    assert response.json()["error"] == "You can't react to this discussion, but you can still read it."


def test_reacting_is_rate_limited_with_a_reason(thread, outsider, settings):
    settings.SPOONFUL_RATE_LIMITS = {"react": [("user", 2, 60)]}
    client = signed_in(outsider)
    react(client, thread, "me_too", "1", **JSON)
    react(client, thread, "me_too", "1", **JSON)
    limited = react(client, thread, "me_too", "1", **JSON)
    assert limited.status_code == 429 and "Please wait" in limited.json()["error"]
    assert limited["Retry-After"]
    assert react(client, thread, "me_too", "1").status_code == 302  # the form: back to the post, with the message
