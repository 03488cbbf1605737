# ruff: noqa: F811 - pytest fixtures imported from tests.helpers.discovery are redefined as parameters
"""In-app notifications: who is told, who is not, what the list shows, and what it costs."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.test import Client

from accounts.access import access_for
from accounts.models import Block
from community.models import Membership
from discussions.events import user_group_name
from discussions.models import Discussion, Reply, Visibility
from notifications.models import HashtagFollow, Notification, NotificationPreference
from notifications.preferences import hashtag_follow, is_following, preference_set
from notifications.selectors import notification_list_visible_to, unread_count
from notifications.services import (
    mentioned_usernames,
    notify,
    notify_discussion_created,
    notify_reply_created,
    recipients_who_blocked,
)
from tests.helpers.discovery import (
    discovery_urls,  # noqa: F401
    make_community,
    make_discussion,
    make_reply,
)

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


@pytest.fixture
def mecfs(member, other_member):
    return make_community("mecfs", members=(member, other_member))


@pytest.fixture
def thread(member, mecfs):
    """alice's community-only discussion in #mecfs (carol is a member, bob is not)."""
    return make_discussion(
        member,
        "Titlecanary crash after walking",
        "Bodycanary text",
        visibility=Visibility.COMMUNITY,
        communities=(mecfs,),
    )


def kinds_for(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Who is told ----------------------------------------------------------------------


def test_a_reply_tells_the_discussion_author(thread, member, other_member):
    reply = make_reply(thread, other_member, "Sorry to hear that")

    notify_reply_created(reply.pk)

    notification = Notification.objects.get(recipient=member)
    assert notification.kind == Kind.REPLY_TO_DISCUSSION
    assert notification.actor == other_member
    assert notification.reply == reply


def test_a_reply_to_a_reply_tells_the_parent_author(thread, member, other_member, user_factory):
    first = make_reply(thread, other_member, "First")
    dave = user_factory("dave")
    thread.visibility = Visibility.MEMBERS
    thread.save()
    answer = make_reply(thread, dave, "Answer to carol", parent=first)

    notify_reply_created(answer.pk)

    assert kinds_for(other_member) == [Kind.REPLY_TO_REPLY]
    assert kinds_for(member) == [Kind.REPLY_TO_DISCUSSION]


def test_nobody_is_told_of_their_own_reply(thread, member):
    reply = make_reply(thread, member, "Replying to myself, mentioning @alice")

    notify_reply_created(reply.pk)

    assert Notification.objects.count() == 0


def test_a_mention_tells_a_member_who_can_read_it(thread, member, other_member, user_factory):
    dave = user_factory("dave")
    from community.models import Membership

    Membership.objects.create(user=dave, community=thread.tags.first().community)
    reply = make_reply(thread, other_member, "@Dave you should see this (and @nobody-here)")

    notify_reply_created(reply.pk)

    assert kinds_for(dave) == [Kind.MENTION]


def test_a_mention_of_someone_who_cannot_read_the_post_does_nothing(thread, other_member, outsider):
    reply = make_reply(thread, other_member, "@bob look at this")

    created = notify_reply_created(reply.pk)

    assert kinds_for(outsider) == []
    assert all(n.recipient_id != outsider.pk for n in created)


def test_a_mention_of_someone_who_blocked_the_author_does_nothing(thread, member, other_member, user_factory):
    dave, erin = user_factory("dave"), user_factory("erin")
    for user in (dave, erin):
        Membership.objects.create(user=user, community=thread.tags.first().community)
    Block.objects.create(blocker=dave, blocked=other_member)
    reply = make_reply(thread, other_member, "@dave @erin hello")

    notify_reply_created(reply.pk)

    assert kinds_for(dave) == []
    assert kinds_for(erin) == [Kind.MENTION]
    assert kinds_for(member) == [Kind.REPLY_TO_DISCUSSION]


def test_the_block_hook_names_the_recipients_who_blocked_the_author(member, other_member, outsider):
    Block.objects.create(blocker=member, blocked=other_member)
    Block.objects.create(blocker=other_member, blocked=outsider)

    assert recipients_who_blocked(other_member.pk, [member.pk, outsider.pk]) == {member.pk}
    assert recipients_who_blocked(outsider.pk, [member.pk, other_member.pk]) == {other_member.pk}
    # Blocking goes one way: whom a member blocked may still hear from them.
    assert recipients_who_blocked(member.pk, [other_member.pk, outsider.pk]) == set()


def test_mentions_are_read_from_text_carefully():
    text = "hi @Alice, mail bob@example.org, see https://x.org/@carol and @dave. @alice again"
    assert mentioned_usernames(text) == ["alice", "dave"]
    assert len(mentioned_usernames(" ".join(f"@u{n}" for n in range(50)))) == 20


def test_an_anonymous_reply_never_names_its_author(thread, member, other_member, discovery_urls):
    reply = make_reply(thread, other_member, "Anonymous support", is_anonymous=True)

    notify_reply_created(reply.pk)

    notification = Notification.objects.get(recipient=member)
    assert notification.actor is None
    html = signed_in(member).get("/notifications/").content.decode()
    assert "Anonymous member" in html
    assert "Carol" not in html
    assert "carol" not in html


def test_a_held_reply_tells_nobody(thread, member, other_member):
    reply = make_reply(thread, other_member, "Waiting", status=Reply.Status.HELD)

    assert notify_reply_created(reply.pk) == []


def test_a_switched_off_kind_creates_nothing(thread, member, other_member):
    preference_set(user=member, kind=Kind.REPLY_TO_DISCUSSION, in_app=False, email=NotificationPreference.Email.OFF)
    reply = make_reply(thread, other_member, "Hello")

    notify_reply_created(reply.pk)

    assert kinds_for(member) == []


# --- Followed hashtags ---------------------------------------------------------------------


def test_following_a_hashtag_is_quiet_until_the_member_switches_it_on(member, other_member, mecfs):
    hashtag_follow(user=other_member, community=mecfs)
    first = make_discussion(member, "First", "x", communities=(mecfs,))
    notify_discussion_created(first.pk)
    assert kinds_for(other_member) == []

    preference_set(user=other_member, kind=Kind.FOLLOWED_HASHTAG, in_app=True, email=NotificationPreference.Email.OFF)
    second = make_discussion(member, "Second", "x", communities=(mecfs,))
    notify_discussion_created(second.pk)

    assert kinds_for(other_member) == [Kind.FOLLOWED_HASHTAG]
    assert kinds_for(member) == []


def test_a_follower_who_cannot_read_the_discussion_never_sees_it(member, outsider, mecfs, discovery_urls):
    hashtag_follow(user=outsider, community=mecfs)
    preference_set(user=outsider, kind=Kind.FOLLOWED_HASHTAG, in_app=True, email=NotificationPreference.Email.OFF)
    hidden = make_discussion(
        member, "Titlecanary only members", "x", visibility=Visibility.COMMUNITY, communities=(mecfs,)
    )

    notify_discussion_created(hidden.pk)

    assert unread_count(outsider) == 0
    html = signed_in(outsider).get("/notifications/").content.decode()
    assert "Titlecanary" not in html


def test_follow_and_unfollow_views_are_post_only(member, mecfs, discovery_urls):
    client = signed_in(member)
    assert client.get("/notifications/follow/mecfs/").status_code == 405

    assert client.post("/notifications/follow/mecfs/").status_code == 302
    assert HashtagFollow.objects.filter(user=member, community=mecfs).exists()
    client.post("/notifications/unfollow/mecfs/")
    assert not HashtagFollow.objects.filter(user=member, community=mecfs).exists()


def test_a_private_community_cannot_be_followed_by_an_outsider(outsider, other_member, discovery_urls):
    make_community("hush", policy="private", members=(other_member,))

    assert signed_in(outsider).post("/notifications/follow/hush/").status_code == 404


def test_a_new_discussion_with_1000_followers_costs_a_bounded_number_of_queries(
    member, mecfs, user_factory, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from accounts.models import User

    User.objects.bulk_create([User(username=f"follower{n}", email=f"f{n}@example.org") for n in range(1000)])
    followers = list(User.objects.filter(username__startswith="follower"))
    HashtagFollow.objects.bulk_create([HashtagFollow(user=user, community=mecfs) for user in followers])
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=user, kind=Kind.FOLLOWED_HASHTAG, in_app=True) for user in followers]
    )
    discussion = make_discussion(member, "Big news", "x", visibility=Visibility.PUBLIC, communities=(mecfs,))

    with (
        django_assert_max_num_queries(1000) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify_discussion_created(discussion.pk)

    # A fixed handful of reads (one of them the check that makes a second run of the job
    # write nothing), and inserts in as few batches as the database allows (one on
    # PostgreSQL; SQLite's parameter limit splits 1,000 rows into ~12).
    sqls = [query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]
    inserts = [sql for sql in sqls if sql.startswith("INSERT")]
    fields = [field for field in Notification._meta.concrete_fields if not field.primary_key]
    batch = connection.ops.bulk_batch_size(fields, [Notification()] * 1000)
    assert len(sqls) - len(inserts) <= 7
    assert len(inserts) <= -(-1000 // batch)
    assert Notification.objects.filter(kind=Kind.FOLLOWED_HASHTAG).count() == 1000


def test_a_reply_in_a_hashtag_with_1000_followers_costs_the_same_as_with_none(
    thread, member, other_member, mecfs, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from accounts.models import User

    reply = make_reply(thread, other_member, "A reply")
    with django_assert_max_num_queries(30) as without_followers, django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(reply.pk)
    User.objects.bulk_create([User(username=f"follower{n}", email=f"f{n}@example.org") for n in range(1000)])
    HashtagFollow.objects.bulk_create(
        [HashtagFollow(user=user, community=mecfs) for user in User.objects.filter(username__startswith="follower")]
    )
    second = make_reply(thread, other_member, "Another reply")

    with (
        django_assert_max_num_queries(len(without_followers.captured_queries)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify_reply_created(second.pk)


# --- The list, the count, access lost ---------------------------------------------------------


def test_the_list_shows_a_notification_and_marks_it_read(thread, member, other_member, discovery_urls):
    notify_reply_created(make_reply(thread, other_member, "Hi").pk)
    notification = Notification.objects.get(recipient=member)
    client = signed_in(member)

    html = client.get("/notifications/").content.decode()
    assert "Carol replied to your discussion" in html
    assert "Titlecanary" in html
    assert "Bodycanary" not in html

    assert client.get(f"/notifications/{notification.pk}/read/").status_code == 405
    client.post(f"/notifications/{notification.pk}/read/")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_all_read_clears_the_count(thread, member, other_member, discovery_urls):
    for text in ("one", "two"):
        notify_reply_created(make_reply(thread, other_member, text).pk)
    assert unread_count(member) == 2

    signed_in(member).post("/notifications/read-all/")

    assert unread_count(member) == 0


def test_nobody_can_mark_anothers_notification(thread, member, other_member, outsider, discovery_urls):
    notify_reply_created(make_reply(thread, other_member, "Hi").pk)
    notification = Notification.objects.get(recipient=member)

    assert signed_in(outsider).post(f"/notifications/{notification.pk}/read/").status_code == 404
    assert signed_in(outsider).get(f"/notifications/{notification.pk}/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_list_needs_sign_in(discovery_urls):
    response = Client().get("/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_notification_disappears_when_its_discussion_becomes_unreadable(thread, member, other_member, user_factory):
    dave = user_factory("dave")
    Discussion.objects.filter(pk=thread.pk).update(visibility=Visibility.MEMBERS)
    notify_reply_created(make_reply(thread, other_member, "@dave see this").pk)
    assert unread_count(dave) == 1

    Discussion.objects.filter(pk=thread.pk).update(visibility=Visibility.COMMUNITY)

    assert unread_count(dave) == 0
    assert list(notification_list_visible_to(dave)) == []


def test_a_notification_disappears_when_its_discussion_or_reply_is_removed(thread, member, other_member):
    reply = make_reply(thread, other_member, "Hi")
    notify_reply_created(reply.pk)
    assert unread_count(member) == 1

    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.REMOVED)
    assert unread_count(member) == 0

    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.PUBLISHED)
    Discussion.objects.filter(pk=thread.pk).update(status=Discussion.Status.REMOVED)
    assert unread_count(member) == 0


def test_opening_a_notification_goes_to_the_reply(thread, member, other_member, discovery_urls):
    reply = make_reply(thread, other_member, "Hi")
    notify_reply_created(reply.pk)
    notification = Notification.objects.get(recipient=member)

    response = signed_in(member).get(f"/notifications/{notification.pk}/")

    assert response.status_code == 302
    assert response["Location"].endswith(f"#reply-{reply.number}")


def test_the_bell_count_costs_at_most_one_query(thread, member, other_member, rf, django_assert_max_num_queries):
    from notifications.context_processors import notifications as bell

    notify_reply_created(make_reply(thread, other_member, "Hi").pk)
    request = rf.get("/")
    request.user = member
    access_for(member)  # loaded by the request before the header is drawn

    with django_assert_max_num_queries(1):
        context = bell(request)
        assert int(str(context["notifications_unread"])) == 1
        assert context["notifications_unread"]


def test_the_bell_partial_renders_the_count(thread, member, other_member, rf, discovery_urls):
    from django.template.loader import render_to_string

    from notifications.context_processors import notifications as bell

    notify_reply_created(make_reply(thread, other_member, "Hi").pk)
    request = rf.get("/")
    request.user = member

    html = render_to_string("notifications/_bell.html", {"user": member, **bell(request)}, request=request)

    assert "data-bell-number>1<" in html
    assert "/ws/notifications/" in html


def test_the_unread_endpoint_gives_the_exact_count(thread, member, other_member, discovery_urls):
    notify_reply_created(make_reply(thread, other_member, "Hi").pk)

    assert signed_in(member).get("/notifications/unread/").json() == {"unread": 1}


# --- Decisions from elsewhere -------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.VERIFICATION_DECISION, Kind.MODERATION_DECISION, Kind.JOIN_REQUEST_DECISION])
def test_other_parts_of_the_site_can_notify_a_decision(member, kind, discovery_urls):
    notification = notify(member, kind, message="Your request\r\nwas accepted.", url="/c/mecfs/")

    assert notification.kind == kind
    assert notification.message == "Your request was accepted."
    html = signed_in(member).get("/notifications/").content.decode()
    assert "Your request was accepted." in html


def test_a_decision_link_must_stay_on_the_site(member):
    with pytest.raises(ValueError):
        notify(member, Kind.MODERATION_DECISION, message="x", url="https://evil.example/")


# --- Live -------------------------------------------------------------------------------------


def test_the_recipient_group_hears_the_new_unread_count(
    thread, member, other_member, settings, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group_name(member.pk), channel)

    with django_capture_on_commit_callbacks(execute=True):
        notify_reply_created(make_reply(thread, other_member, "Hi").pk)

    assert async_to_sync(layer.receive)(channel) == {"type": "notification.created"}
    channel_layers.backends.clear()


def test_read_at_is_untouched_by_reading_the_list(thread, member, other_member, discovery_urls):
    notify_reply_created(make_reply(thread, other_member, "Hi").pk)

    signed_in(member).get("/notifications/")

    assert Notification.objects.get(recipient=member).read_at is None


def test_the_follow_button_partial_offers_the_right_action(member, mecfs, rf, discovery_urls):
    from django.template.loader import render_to_string

    request = rf.get("/c/mecfs/")
    request.user = member
    context = {"community": mecfs, "user": member}

    before = render_to_string(
        "notifications/_follow_button.html",
        {**context, "following": is_following(member, mecfs)},
        request,
    )
    hashtag_follow(user=member, community=mecfs)
    after = render_to_string(
        "notifications/_follow_button.html",
        {**context, "following": is_following(member, mecfs)},
        request,
    )

    assert "Follow #mecfs" in before and "/notifications/follow/mecfs/" in before
    assert "Unfollow #mecfs" in after and "/notifications/unfollow/mecfs/" in after


def test_the_fan_out_job_run_twice_writes_each_notification_once(member, other_member, mecfs, user_factory):
    dave = user_factory("dave")
    Membership.objects.create(user=dave, community=mecfs)
    HashtagFollow.objects.create(user=dave, community=mecfs)
    NotificationPreference.objects.create(user=dave, kind=Kind.FOLLOWED_HASHTAG, in_app=True)
    discussion = make_discussion(
        member, "Big news", "thanks @carol", visibility=Visibility.PUBLIC, communities=(mecfs,)
    )
    reply = make_reply(discussion, other_member, "@alice hello")

    for _ in range(2):
        notify_discussion_created(discussion.pk)
        notify_reply_created(reply.pk)

    assert sorted(Notification.objects.values_list("recipient__username", "kind")) == [
        ("alice", Kind.MENTION),
        ("carol", Kind.MENTION),
        ("dave", Kind.FOLLOWED_HASHTAG),
    ]
