"""Blocking a member: their posts collapse for the blocker, they cannot reply to the
blocker's discussions, and their mentions do not reach the blocker."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Block
from accounts.selectors import blocked_ids_for
from accounts.services import block_create
from discussions import services
from discussions.models import Reply
from discussions.selectors import can_reply
from notifications.models import Notification
from notifications.services import notify_reply_created, recipients_who_blocked
from tests.helpers.access import COLD_ACCESS_CONTEXT_QUERIES
from tests.helpers.privacy import reply_canary

pytestmark = pytest.mark.django_db


def test_the_profile_page_blocks_and_unblocks_with_a_post(world):
    author = world.client("author")
    carol = world.users["member"]

    assert author.get("/u/carolm/block/").status_code == 405
    assert "Block Carol Member" in author.get("/u/carolm/").content.decode()
    assert author.post("/u/carolm/block/").status_code == 302
    assert Block.objects.filter(blocker=world.users["author"], blocked=carol).exists()
    assert "Unblock Carol Member" in author.get("/u/carolm/").content.decode()

    assert author.post("/u/carolm/unblock/").status_code == 302
    assert not Block.objects.filter(blocker=world.users["author"], blocked=carol).exists()


def test_visitors_cannot_block_and_nobody_sees_a_button_on_their_own_profile(world):
    assert world.client("visitor").post("/u/carolm/block/").status_code == 302  # to sign in
    assert not Block.objects.filter(blocked=world.users["member"]).exists()
    assert "Block " not in world.client("member").get("/u/carolm/").content.decode()


def test_blocking_oneself_is_refused_and_blocking_twice_is_once(world):
    alice, dave = world.users["author"], world.users["blocked"]
    with pytest.raises(ValidationError):
        block_create(blocker=alice, blocked=alice)
    block_create(blocker=alice, blocked=dave)
    block_create(blocker=alice, blocked=dave)
    assert Block.objects.filter(blocker=alice, blocked=dave).count() == 1


def test_blocked_ids_for_comes_from_the_access_context(world, django_assert_max_num_queries, django_assert_num_queries):
    author = world.users["author"]
    with django_assert_max_num_queries(COLD_ACCESS_CONTEXT_QUERIES):
        ids = blocked_ids_for(author)
    assert ids == {world.users["blocked"].pk}
    with django_assert_num_queries(0):
        assert blocked_ids_for(author) == ids


def test_a_blocked_member_cannot_reply_to_the_blockers_discussions(world):
    dave = world.users["blocked"]
    public = world.posts["public"]

    assert can_reply(world.users["member"], public)
    assert not can_reply(dave, public)
    with pytest.raises(PermissionDenied):
        services.reply_create(author=dave, discussion=public, body="let me in")
    response = world.client("blocked").post(f"/d/{public.pk}/reply/", {"body": "let me in"})
    assert response.status_code == 403
    assert not Reply.objects.filter(author=dave).exists()


def test_the_block_rule_does_not_reveal_who_wrote_an_anonymous_discussion(world):
    # Zed (the anonymous author) blocks Dave: refusing Dave's reply would tell him who Zed is.
    Block.objects.create(blocker=world.users["zed"], blocked=world.users["blocked"])
    assert can_reply(world.users["blocked"], world.posts["anonymous"])


def test_posts_by_a_blocked_member_are_collapsed_for_the_blocker_only(world):
    dave = world.users["blocked"]
    discussion = world.posts["members"]
    Reply.objects.filter(discussion=discussion).update(author=dave)

    for_alice = world.client("author").get(f"/d/{discussion.pk}/").content.decode()
    for_carol = world.client("member").get(f"/d/{discussion.pk}/").content.decode()
    catch_up = world.client("author").get(f"/d/{discussion.pk}/replies/?after=0").content.decode()

    collapsed = '<details class="blocked-post"><summary>Post by a member you blocked</summary>'
    assert collapsed in for_alice
    assert for_alice.index(collapsed) < for_alice.index(reply_canary("members"))
    assert collapsed in catch_up
    assert collapsed not in for_carol
    assert reply_canary("members") in for_carol


def test_an_anonymous_post_by_a_blocked_member_is_not_collapsed(world):
    dave = world.users["blocked"]
    discussion = world.posts["members"]
    Reply.objects.filter(discussion=discussion).update(author=dave, is_anonymous=True)

    html = world.client("author").get(f"/d/{discussion.pk}/").content.decode()

    assert "Post by a member you blocked" not in html


def test_mentions_by_a_blocked_member_do_not_reach_the_blocker(world, django_capture_on_commit_callbacks):
    alice, dave = world.users["author"], world.users["blocked"]
    assert recipients_who_blocked(dave.pk, [alice.pk, world.users["member"].pk]) == {alice.pk}

    # Dave cannot reply to Alice's discussions; he mentions her in Zed's, where he may.
    elsewhere = world.posts["anonymous"]
    with django_capture_on_commit_callbacks(execute=False):
        reply = services.reply_create(author=dave, discussion=elsewhere, body="hello @aliceau and @carolm")
    notify_reply_created(reply.pk)

    mentioned = set(Notification.objects.filter(kind=Notification.Kind.MENTION).values_list("recipient", flat=True))
    assert alice.pk not in mentioned
    assert world.users["member"].pk in mentioned
