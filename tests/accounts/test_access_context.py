"""The access context (accounts/access.py): every change to what it holds raises the
member's access version in the change's transaction, and takes effect at once on the
page, on a reply POST and on a socket's re-check, though the context is cached."""

import datetime

import pytest
from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from taggit.models import Tag

from accounts.access import access_for
from accounts.access_versions import access_raise
from accounts.models import Block, User
from accounts.selectors import has_two_factor, is_moderator_anywhere, is_verified_professional
from accounts.services import block_create, block_delete
from accounts.sessions import session_list_of, sessions_end
from community.models import Community, Membership
from community.services import membership_leave
from discussions import services
from discussions.live.admission import session_belongs_to, still_allowed
from discussions.models import Discussion, Reply, Visibility
from moderation.member_actions import member_mute, member_suspend, sanction_lift
from moderation.models import Sanction
from tests.helpers.users import enable_two_factor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sessions_from_the_cache(settings):
    # Production's engine with Redis; the in-memory cache stands in for it here.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


@pytest.fixture
def circle(community_factory) -> Community:
    return community_factory("circle", name="A private circle", policy=Community.Policy.PRIVATE)


@pytest.fixture
def open_community(community_factory) -> Community:
    return community_factory("mecfs", name="ME/CFS")


def version_of(user: User) -> int:
    return User.objects.values_list("access_version", flat=True).get(pk=user.pk)


def discussion_in(community: Community, author: User, **fields) -> Discussion:
    Membership.objects.get_or_create(user=author, community=community)
    fields.setdefault("visibility", Visibility.MEMBERS)
    return services.discussion_create(
        author=author, title="Pacing", body="What helps?", hashtags=[community.slug], **fields
    )


def warm(client, discussion: Discussion) -> None:
    """Open the page once, so the session and the access context are cached."""
    assert client.get(discussion.get_absolute_url()).status_code == 200
    assert client.get(discussion.get_absolute_url()).status_code == 200


def reply(client, discussion: Discussion, body: str = "Thinking of you") -> int:
    before = Reply.objects.filter(discussion=discussion).count()
    client.post(f"/d/{discussion.pk}/reply/", {"body": body, "submission_token": f"t-{before}-{body}"})
    return Reply.objects.filter(discussion=discussion).count() - before


# --- Every change raises the version ----------------------------------------------------


def promote(member: User) -> None:
    # A queryset update sends no signal: the writer raises the version next to it.
    Membership.objects.filter(user=member).update(role=Membership.Role.MODERATOR)
    access_raise(member.pk)


def test_every_kind_of_change_raises_the_members_version(member, other_member, staff, open_community):
    changes = [
        lambda: Membership.objects.create(user=member, community=open_community),
        lambda: promote(member),
        lambda: Membership.objects.get(user=member).save(),
        lambda: Membership.objects.filter(user=member).delete(),
        lambda: Block.objects.create(blocker=other_member, blocked=member),
        lambda: Block.objects.filter(blocker=other_member).delete(),
        lambda: Sanction.objects.create(user=member, kind=Sanction.Kind.SUSPENSION),
        lambda: Sanction.objects.filter(user=member).first().save(),
        lambda: enable_two_factor(member),
        lambda: member.authenticator_set.all().delete(),
    ]
    for index, change in enumerate(changes):
        before = version_of(member)
        change()
        assert version_of(member) > before, f"change {index} did not raise the version"


def test_a_block_raises_both_members_versions(member, other_member):
    before = (version_of(member), version_of(other_member))
    block_create(blocker=member, blocked=other_member)
    assert version_of(member) > before[0]
    assert version_of(other_member) > before[1]


def test_a_full_save_of_an_old_user_object_does_not_write_its_old_version_back(member, open_community):
    stale = User.objects.get(pk=member.pk)
    Membership.objects.create(user=member, community=open_community)
    raised = version_of(member)
    stale.display_name = "Alice B."
    stale.save()
    assert version_of(member) == raised
    assert User.objects.get(pk=member.pk).display_name == "Alice B."


def test_a_version_raised_in_a_rolled_back_transaction_is_never_handed_out_again(member, open_community):
    with pytest.raises(RuntimeError), transaction.atomic():
        Membership.objects.create(user=member, community=open_community)
        rolled_back = version_of(member)
        access_for(User.objects.get(pk=member.pk))  # cached under the rolled-back version
        raise RuntimeError
    assert version_of(member) < rolled_back
    access_raise(member.pk)
    assert version_of(member) != rolled_back
    assert open_community.pk not in access_for(User.objects.get(pk=member.pk)).active


def test_a_warm_context_costs_no_query_and_a_cold_one_a_few(member, django_assert_num_queries):
    fresh = User.objects.get(pk=member.pk)
    with django_assert_num_queries(5):
        access_for(fresh)
    another_request = User.objects.get(pk=member.pk)
    with django_assert_num_queries(0):
        access_for(another_request)  # from the cache


# --- Each fact takes effect at once, through the page, a reply and a socket --------------


def test_leaving_a_private_community_hides_its_discussion_at_once(client, member, other_member, circle):
    Membership.objects.create(user=member, community=circle)
    discussion = discussion_in(circle, other_member)
    client.force_login(member)
    warm(client, discussion)
    session_key = client.session.session_key
    assert still_allowed(member.pk, session_key, discussion.pk) is not None

    membership_leave(user=User.objects.get(pk=member.pk), community=circle)

    assert client.get(discussion.get_absolute_url()).status_code == 404
    assert still_allowed(member.pk, session_key, discussion.pk) is None


def test_being_invited_makes_a_private_community_known_at_once(member, circle):
    assert circle.pk not in access_for(User.objects.get(pk=member.pk)).known
    Membership.objects.create(user=member, community=circle, status=Membership.Status.INVITED)
    assert circle.pk in access_for(User.objects.get(pk=member.pk)).known


def test_a_mute_refuses_replies_at_once_and_lifting_it_allows_them(
    client, member, other_member, moderator, open_community
):
    Membership.objects.create(user=moderator, community=open_community, role=Membership.Role.MODERATOR)
    discussion = discussion_in(open_community, other_member)
    client.force_login(member)
    warm(client, discussion)

    member_mute(acting_user=moderator, user=User.objects.get(pk=member.pk), community=open_community, days=3)
    assert reply(client, discussion, "muted") == 0
    assert "muted you in #mecfs" in client.get(discussion.get_absolute_url()).content.decode()

    sanction_lift(acting_user=moderator, sanction=Sanction.objects.get(user=member, kind=Sanction.Kind.MUTE))
    assert reply(client, discussion, "lifted") == 1


def test_a_mute_ends_at_its_until_with_no_change_to_the_cached_context(client, member, other_member, open_community):
    discussion = discussion_in(open_community, other_member)
    sanction = Sanction.objects.create(
        user=member,
        community=open_community,
        kind=Sanction.Kind.MUTE,
        until=timezone.now() + datetime.timedelta(days=1),
    )
    client.force_login(member)
    warm(client, discussion)
    assert reply(client, discussion, "early") == 0
    # Its end passes: the context keeps the time, not a yes or no.
    Sanction.objects.filter(pk=sanction.pk).update(until=timezone.now() - datetime.timedelta(seconds=1))
    cached = access_for(User.objects.get(pk=member.pk))
    assert cached.sanctions[0].until > timezone.now()  # the cached copy still says tomorrow
    with pytest.MonkeyPatch.context() as patch:
        later = timezone.now() + datetime.timedelta(days=2)
        patch.setattr(timezone, "now", lambda: later)
        assert cached.sanction(Sanction.Kind.MUTE, {open_community.pk}) is None


def test_a_suspension_refuses_replies_at_once(client, member, other_member, staff, open_community):
    discussion = discussion_in(open_community, other_member)
    client.force_login(member)
    warm(client, discussion)
    member_suspend(acting_user=staff, user=User.objects.get(pk=member.pk), days=2)
    assert reply(client, discussion) == 0


def test_a_block_refuses_replies_at_once_and_unblocking_allows_them(client, member, other_member, open_community):
    discussion = discussion_in(open_community, other_member)
    client.force_login(member)
    warm(client, discussion)

    block_create(blocker=User.objects.get(pk=other_member.pk), blocked=User.objects.get(pk=member.pk))
    assert reply(client, discussion, "blocked") == 0

    block_delete(blocker=User.objects.get(pk=other_member.pk), blocked=User.objects.get(pk=member.pk))
    assert reply(client, discussion, "unblocked") == 1


def test_losing_staff_hides_a_private_community_at_once(client, staff, other_member, circle):
    discussion = discussion_in(circle, other_member)
    client.force_login(staff)
    warm(client, discussion)
    session_key = client.session.session_key
    assert still_allowed(staff.pk, session_key, discussion.pk) is not None

    User.objects.filter(pk=staff.pk).update(is_staff=False)

    assert client.get(discussion.get_absolute_url()).status_code == 404
    assert still_allowed(staff.pk, session_key, discussion.pk) is None


def test_being_dismissed_as_moderator_takes_the_tools_away_at_once(member, open_community):
    membership = Membership.objects.create(user=member, community=open_community, role=Membership.Role.MODERATOR)
    assert is_moderator_anywhere(User.objects.get(pk=member.pk))
    membership.role = Membership.Role.MEMBER
    membership.save()
    assert not is_moderator_anywhere(User.objects.get(pk=member.pk))


def test_two_factor_and_verification_are_read_afresh_after_a_change(member, staff):
    from accounts.models import ProfessionalVerification

    assert not has_two_factor(User.objects.get(pk=member.pk))
    enable_two_factor(member)
    assert has_two_factor(User.objects.get(pk=member.pk))

    verification = ProfessionalVerification.objects.create(
        applicant=member,
        status=ProfessionalVerification.Status.APPROVED,
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    assert is_verified_professional(User.objects.get(pk=member.pk))
    verification.status = ProfessionalVerification.Status.REVOKED
    verification.save()
    assert not is_verified_professional(User.objects.get(pk=member.pk))


def test_the_same_user_object_sees_a_change_it_made(member, open_community):
    """A service that changes access, then checks it in the same request, sees the change."""
    user = User.objects.get(pk=member.pk)
    assert open_community.pk not in access_for(user).active
    Membership.objects.create(user=member, community=open_community)
    assert open_community.pk in access_for(user).active


# --- Sessions from the cache -------------------------------------------------------------


def test_an_ended_session_is_refused_at_once_on_the_page_and_the_socket(client, member, other_member, open_community):
    discussion = discussion_in(open_community, other_member, visibility=Visibility.MEMBERS)
    client.force_login(member)
    warm(client, discussion)
    session_key = client.session.session_key
    assert cache.get(f"django.contrib.sessions.cached_db{session_key}") is not None
    assert session_belongs_to(member, session_key)

    sessions_end(session_list_of([member.pk]))

    assert not Session.objects.filter(session_key=session_key).exists()
    assert not session_belongs_to(member, session_key)
    assert still_allowed(member.pk, session_key, discussion.pk) is None
    response = client.get(discussion.get_absolute_url())
    assert response.status_code == 404  # members-only: a visitor may not read it


def test_signing_out_ends_the_cached_session(client, member):
    client.force_login(member)
    session_key = client.session.session_key
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = member
    logout(request)
    assert not session_belongs_to(member, session_key)


def test_the_private_circle_tag_is_hidden_from_whoever_left(client, member, other_member, circle, open_community):
    """Hashtag links come from the same context: a left private community's tag goes at once."""
    Membership.objects.create(user=member, community=circle)
    Membership.objects.create(user=member, community=open_community)
    discussion = discussion_in(open_community, other_member, visibility=Visibility.MEMBERS)
    discussion.tags.add(Tag.objects.get(slug="circle"))
    Membership.objects.get_or_create(user=other_member, community=circle)
    client.force_login(member)
    assert "#circle" in client.get(discussion.get_absolute_url()).content.decode()
    Membership.objects.filter(user=member, community=circle).delete()
    # Now a discussion in a private community they are not in: gone altogether.
    assert client.get(discussion.get_absolute_url()).status_code == 404


def test_a_socket_re_check_on_a_warm_cache_reads_the_account_its_session_and_the_discussion_only(
    client, member, other_member, circle, django_assert_max_num_queries
):
    Membership.objects.create(user=member, community=circle)
    discussion = discussion_in(circle, other_member)
    client.force_login(member)
    warm(client, discussion)
    session_key = client.session.session_key
    # The account (is it still active?), the session's record (never a cached copy: the re-check is the
    # backstop for sessions ended without a signal) and the discussion; no membership, block or sanction.
    with django_assert_max_num_queries(3):
        admitted = still_allowed(member.pk, session_key, discussion.pk)
    assert admitted is not None
    assert admitted.last_number == discussion.last_reply_number  # the hello's facts, from the same row
