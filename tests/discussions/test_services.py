"""The discussion and reply services, called directly."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from community.models import Membership
from discussions import audience_services, services
from discussions.models import Discussion, Reply, Revision, Visibility
from moderation.services import discussion_lock, discussion_pin


@pytest.fixture
def announced(monkeypatch):
    """Events the services announce, recorded instead of published."""
    calls = []
    for name in ("reply_created", "reply_changed", "discussion_changed"):
        monkeypatch.setattr(
            services.events, name, lambda _name=name, **kwargs: calls.append((_name, kwargs)), raising=True
        )
    return calls


# --- discussion_create ---------------------------------------------------------


def test_it_resolves_an_alias_to_the_canonical_community(start, mecfs):
    discussion = start(hashtags=["#CFS"])

    assert list(discussion.tags.values_list("slug", flat=True)) == ["mecfs"]
    assert discussion.body_html.startswith("<p>")
    assert discussion.status == Discussion.Status.PUBLISHED


def test_it_refuses_unknown_hashtags_and_names_them(start):
    with pytest.raises(ValidationError) as caught:
        start(hashtags=["mecfs", "#nosuchthing", "otherunknown"])

    message = " ".join(caught.value.message_dict["hashtags"])
    assert "#nosuchthing" in message and "#otherunknown" in message
    assert not Discussion.objects.exists()


def test_hashtags_typed_in_the_title_or_body_also_tag_the_discussion(start, spoonie):
    discussion = start(hashtags=[], title="Hello #spoonie friends", body="Also for #cfs and #notacommunity")

    assert set(discussion.tags.values_list("slug", flat=True)) == {"spoonie", "mecfs"}


def test_it_needs_at_least_one_and_at_most_five_communities(start, community_factory):
    with pytest.raises(ValidationError, match="at least one"):
        start(hashtags=[])
    for slug in ("a1", "a2", "a3", "a4", "a5"):
        community_factory(slug)
    with pytest.raises(ValidationError, match="at most 5"):
        start(hashtags=["mecfs", "a1", "a2", "a3", "a4", "a5"])


def test_an_unknown_visibility_is_refused(start):
    with pytest.raises(ValidationError) as caught:
        start(visibility="superpublic")
    assert "visibility" in caught.value.message_dict


def test_title_and_body_limits_are_enforced(start):
    with pytest.raises(ValidationError) as caught:
        start(title="t" * 201, body="b" * 20_001)
    assert set(caught.value.message_dict) == {"title", "body"}


def test_posting_in_a_private_community_needs_active_membership(start, member, hidden_circle, add_member):
    with pytest.raises(ValidationError):
        start(hashtags=["circle"])
    add_member(member, hidden_circle, status=Membership.Status.INVITED)
    with pytest.raises(ValidationError, match="Only members"):
        start(hashtags=["circle"])


def test_a_private_community_forces_community_visibility_and_stands_alone(start, member, hidden_circle, add_member):
    add_member(member, hidden_circle)

    discussion = start(hashtags=["circle"], visibility=Visibility.PUBLIC)
    assert discussion.visibility == Visibility.COMMUNITY

    with pytest.raises(ValidationError, match="private community"):
        start(hashtags=["circle", "mecfs"], submission_token="second")


def test_a_banned_member_cannot_post_in_that_community(start, member, mecfs, add_member):
    add_member(member, mecfs, status=Membership.Status.BANNED)

    with pytest.raises(ValidationError, match="banned"):
        start()


def test_an_unverified_account_cannot_post(start, user_factory):
    newbie = user_factory("newbie", verified=False)

    with pytest.raises(PermissionDenied):
        start(author=newbie)


def test_the_same_submission_token_gives_one_discussion(start):
    first = start(submission_token="tok-1")
    second = start(submission_token="tok-1", title="Changed my mind")

    assert first.pk == second.pk
    assert Discussion.objects.count() == 1


# --- reply_create --------------------------------------------------------------


def test_replies_get_sequential_numbers_and_thread_paths(
    start, other_member, announced, django_capture_on_commit_callbacks
):
    discussion = start()
    first = services.reply_create(author=other_member, discussion=discussion, body="One")
    second = services.reply_create(author=other_member, discussion=discussion, body="Two", parent_number=1)
    third = services.reply_create(author=other_member, discussion=discussion, body="Three", parent_number=2)

    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert first.path == "000001" and first.depth == 0
    assert second.path == "000001.000002" and second.depth == 1 and second.parent == first
    assert third.path == "000001.000002.000003" and third.depth == 2
    discussion.refresh_from_db()
    assert discussion.last_reply_number == 3
    assert discussion.published_reply_count == 3
    assert ("reply_created", {"discussion_id": discussion.pk, "number": 3}) in announced


def test_a_new_reply_moves_the_discussion_activity(start, other_member):
    discussion = start()
    before = discussion.last_activity_at

    services.reply_create(author=other_member, discussion=discussion, body="Later")

    discussion.refresh_from_db()
    assert discussion.last_activity_at >= before


def test_reply_numbers_stay_stable_after_a_deletion(start, other_member):
    discussion = start()
    first = services.reply_create(author=other_member, discussion=discussion, body="One")
    services.reply_create(author=other_member, discussion=discussion, body="Two")

    services.reply_delete_by_author(acting_user=other_member, reply=first)
    third = services.reply_create(author=other_member, discussion=discussion, body="Three")

    first.refresh_from_db()
    assert first.status == Reply.Status.DELETED and first.number == 1
    assert third.number == 3
    discussion.refresh_from_db()
    assert discussion.published_reply_count == 2


def test_the_same_reply_token_gives_one_reply(start, other_member):
    discussion = start()
    first = services.reply_create(author=other_member, discussion=discussion, body="Hi", submission_token="t1")
    again = services.reply_create(author=other_member, discussion=discussion, body="Hi", submission_token="t1")

    assert first.pk == again.pk
    assert discussion.replies.count() == 1


def test_a_racing_duplicate_returns_the_reply_that_won(start, other_member, monkeypatch):
    discussion = start()
    winner = services.reply_create(author=other_member, discussion=discussion, body="Hi", submission_token="race")
    real_lookup = services._existing_reply
    lookups = []

    def miss_first_time(author, token):
        lookups.append(token)
        return None if len(lookups) == 1 else real_lookup(author, token)

    monkeypatch.setattr(services, "_existing_reply", miss_first_time)

    loser = services.reply_create(author=other_member, discussion=discussion, body="Hi", submission_token="race")

    assert loser.pk == winner.pk
    assert discussion.replies.count() == 1
    discussion.refresh_from_db()
    assert discussion.last_reply_number == 1  # the losing attempt's number was rolled back


def test_a_locked_discussion_refuses_replies(start, other_member, moderator, mecfs, add_member):
    discussion = start()
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    discussion_lock(acting_user=moderator, discussion=discussion)

    with pytest.raises(PermissionDenied, match="locked"):
        services.reply_create(author=other_member, discussion=discussion, body="Too late")
    assert not discussion.replies.exists()


def test_a_banned_member_cannot_reply(start, other_member, mecfs, add_member):
    discussion = start()
    add_member(other_member, mecfs, status=Membership.Status.BANNED)

    with pytest.raises(PermissionDenied, match="banned"):
        services.reply_create(author=other_member, discussion=discussion, body="Hello")


def test_replying_to_an_unknown_number_is_a_validation_error(start, other_member):
    discussion = start()

    with pytest.raises(ValidationError, match="#7"):
        services.reply_create(author=other_member, discussion=discussion, body="Hi", parent_number=7)


def test_an_empty_reply_is_refused(start, other_member):
    with pytest.raises(ValidationError):
        services.reply_create(author=other_member, discussion=start(), body="   \n ")


def test_very_deep_threads_keep_their_parent_but_stop_growing_the_path(start, other_member):
    discussion = start()
    parent = None
    for _ in range(services.MAX_PATH_DEPTH + 3):
        parent = services.reply_create(
            author=other_member, discussion=discussion, body="deeper", parent_number=parent.number if parent else None
        )
    assert parent.depth == services.MAX_PATH_DEPTH
    assert len(parent.path) <= 255
    assert parent.parent.number == parent.number - 1


def test_a_professional_badge_is_only_recorded_for_a_verified_professional(start, other_member):
    reply = services.reply_create(author=other_member, discussion=start(), body="Hi", as_professional=True)

    assert reply.as_professional is False


# --- edits and deletions ---------------------------------------------------------


def test_an_author_edit_keeps_the_previous_text(start, other_member, announced):
    discussion = start()
    reply = services.reply_create(author=other_member, discussion=discussion, body="First words")

    services.reply_edit(acting_user=other_member, reply=reply, body="Better words")

    reply.refresh_from_db()
    assert reply.body == "Better words" and "Better words" in reply.body_html
    assert reply.edited_at is not None
    assert list(Revision.objects.filter(reply=reply).values_list("body", flat=True)) == ["First words"]
    assert ("reply_changed", {"discussion_id": discussion.pk, "number": 1}) in announced


def test_only_the_author_can_edit_or_delete_a_reply(start, member, other_member):
    reply = services.reply_create(author=other_member, discussion=start(), body="Mine")

    with pytest.raises(PermissionDenied):
        services.reply_edit(acting_user=member, reply=reply, body="Not yours")
    with pytest.raises(PermissionDenied):
        services.reply_delete_by_author(acting_user=member, reply=reply)


def test_a_discussion_edit_keeps_the_previous_title_and_body(start, member, announced):
    discussion = start()

    services.discussion_edit(acting_user=member, discussion=discussion, title="New title", body="New body")

    discussion.refresh_from_db()
    assert discussion.title == "New title" and discussion.edited_at is not None
    revision = Revision.objects.get(discussion=discussion)
    assert (revision.title, revision.body) == ("Pacing on bad days", "What helps you pace when everything hurts?")
    assert ("discussion_changed", {"discussion_id": discussion.pk}) in announced


def test_an_author_can_delete_their_discussion(start, member):
    discussion = start()

    services.discussion_delete_by_author(acting_user=member, discussion=discussion)

    discussion.refresh_from_db()
    assert discussion.status == Discussion.Status.DELETED


# --- moderators and visibility ------------------------------------------------------


def test_only_moderators_pin_and_lock(start, member, moderator, staff, mecfs, add_member):
    discussion = start()
    with pytest.raises(PermissionDenied):
        discussion_pin(acting_user=member, discussion=discussion)
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)

    discussion_pin(acting_user=moderator, discussion=discussion)
    discussion_lock(acting_user=staff, discussion=discussion)

    discussion.refresh_from_db()
    assert discussion.is_pinned and discussion.is_locked


def test_an_author_narrows_at_once_and_widens_only_when_confirmed(start, member, announced):
    discussion = start(visibility=Visibility.PUBLIC)

    audience_services.discussion_set_visibility(
        acting_user=member, discussion=discussion, visibility=Visibility.MEMBERS
    )
    assert discussion.visibility == Visibility.MEMBERS
    assert ("discussion_changed", {"discussion_id": discussion.pk}) in announced
    with pytest.raises(audience_services.AudienceConfirmationRequired):
        audience_services.discussion_set_visibility(
            acting_user=member, discussion=discussion, visibility=Visibility.PUBLIC
        )
    discussion.refresh_from_db()
    assert discussion.visibility == Visibility.MEMBERS

    audience_services.discussion_set_visibility(
        acting_user=member, discussion=discussion, visibility=Visibility.PUBLIC, confirmed=True
    )
    discussion.refresh_from_db()
    assert discussion.visibility == Visibility.PUBLIC


def test_a_moderator_narrows_but_never_widens_the_audience(start, moderator, mecfs, add_member):
    discussion = start(visibility=Visibility.MEMBERS)
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)

    with pytest.raises(ValidationError, match="Only its author can open it up"):
        audience_services.discussion_set_visibility(
            acting_user=moderator, discussion=discussion, visibility=Visibility.PUBLIC, confirmed=True
        )
    audience_services.discussion_set_visibility(
        acting_user=moderator, discussion=discussion, visibility=Visibility.COMMUNITY
    )

    discussion.refresh_from_db()
    assert discussion.visibility == Visibility.COMMUNITY


def test_a_moderator_without_two_factor_cannot_narrow_through_the_service(start, user_factory, mecfs, add_member):
    moderator = user_factory("nofactor")
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    discussion = start(visibility=Visibility.PUBLIC)

    with pytest.raises(PermissionDenied, match="two-factor"):
        audience_services.discussion_set_visibility(
            acting_user=moderator, discussion=discussion, visibility=Visibility.COMMUNITY
        )
    discussion.refresh_from_db()
    assert discussion.visibility == Visibility.PUBLIC


def test_other_members_cannot_change_the_audience(start, other_member):
    with pytest.raises(PermissionDenied):
        audience_services.discussion_set_visibility(
            acting_user=other_member, discussion=start(), visibility=Visibility.COMMUNITY
        )


def test_a_private_community_discussion_stays_community_only(start, member, hidden_circle, add_member, staff):
    add_member(member, hidden_circle)
    discussion = start(hashtags=["circle"])

    with pytest.raises(ValidationError):
        audience_services.discussion_set_visibility(
            acting_user=staff, discussion=discussion, visibility=Visibility.PUBLIC
        )


def test_an_unknown_hashtag_tells_staff_where_to_create_the_community(staff, member):
    with pytest.raises(ValidationError) as refused_for_member:
        services.discussion_create(
            author=member, title="New", body="Text", hashtags=["#rarething"], visibility=Visibility.MEMBERS
        )
    with pytest.raises(ValidationError) as refused_for_staff:
        services.discussion_create(
            author=staff, title="New", body="Text", hashtags=["#rarething"], visibility=Visibility.MEMBERS
        )

    assert "There is no community for #rarething" in str(refused_for_member.value)
    assert "/c/new/" not in str(refused_for_member.value)
    assert "/c/new/?hashtag=rarething" in str(refused_for_staff.value)
