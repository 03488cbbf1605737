import re

import pytest
from django.utils import timezone

from community.models import Community, CommunityAlias, Membership
from discussions.models import Discussion, Visibility
from tests.helpers.privacy import normalised

pytestmark = pytest.mark.django_db


@pytest.fixture
def mecfs(community_factory) -> Community:
    return community_factory(
        "mecfs",
        name="ME/CFS",
        description="Myalgic encephalomyelitis.",
        guidelines="Be kind.\n\nNo medical advice as fact.\nKeep others' stories here.",
        icd11_code="8E49",
        orpha_code="ORPHA:1234",
    )


def _titles(response) -> list[str]:
    return [d.title for d in response.context["discussions"]]


def test_it_lists_pinned_discussions_first_then_newest_activity(client, mecfs, discussion_factory):
    now = timezone.now()
    discussion_factory(mecfs, title="Old", last_activity_at=now - timezone.timedelta(days=3))
    discussion_factory(mecfs, title="New", last_activity_at=now)
    discussion_factory(mecfs, title="Pinned", is_pinned=True, last_activity_at=now - timezone.timedelta(days=9))

    response = client.get("/c/mecfs/")

    assert response.status_code == 200
    assert _titles(response) == ["Pinned", "New", "Old"]


def test_it_shows_only_discussions_the_viewer_may_see(
    client, mecfs, discussion_factory, member, add_member, user_factory
):
    add_member(member, mecfs)
    discussion_factory(mecfs, title="Public one")
    discussion_factory(mecfs, title="Members one", visibility=Visibility.MEMBERS)
    discussion_factory(mecfs, title="Community one", visibility=Visibility.COMMUNITY)
    discussion_factory(mecfs, title="Held one", status=Discussion.Status.HELD, author=user_factory("zed"))
    discussion_factory(mecfs, title="Removed one", status=Discussion.Status.REMOVED)

    anonymous = client.get("/c/mecfs/")
    assert set(_titles(anonymous)) == {"Public one"}
    assert anonymous.context["page"].paginator.count == 1
    assert "Members one" not in anonymous.content.decode()

    client.force_login(member)
    signed_in = client.get("/c/mecfs/")
    assert set(_titles(signed_in)) == {"Public one", "Members one", "Community one"}
    assert 'Discussions <span class="muted count">(3)</span>' in signed_in.content.decode()


def test_community_only_discussions_are_hidden_from_outsiders(client, mecfs, discussion_factory, outsider):
    discussion_factory(mecfs, title="Community secret", visibility=Visibility.COMMUNITY)
    client.force_login(outsider)

    response = client.get("/c/mecfs/")

    assert "Community secret" not in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_a_private_community_is_a_404_identical_to_a_missing_one(client, community_factory, outsider):
    community_factory("quiet", policy=Community.Policy.PRIVATE, name="Quiet room")
    client.force_login(outsider)

    hidden = client.get("/c/quiet/")
    missing = client.get("/c/nosuchplace/")

    assert hidden.status_code == missing.status_code == 404
    # The pages differ only in the per-response CSRF mask of the sign-out form.
    assert normalised(hidden.content.decode()) == normalised(missing.content.decode())
    assert "Quiet room" not in hidden.content.decode()


def test_a_private_community_is_404_for_signed_out_visitors(client, community_factory):
    community_factory("quiet", policy=Community.Policy.PRIVATE)

    assert client.get("/c/quiet/").status_code == 404


def test_members_and_invitees_of_a_private_community_see_it(
    client, community_factory, member, other_member, add_member
):
    community = community_factory("quiet", policy=Community.Policy.PRIVATE)
    add_member(member, community)
    add_member(other_member, community, status=Membership.Status.INVITED)

    client.force_login(member)
    assert client.get("/c/quiet/").status_code == 200
    client.force_login(other_member)
    invited = client.get("/c/quiet/")
    assert invited.status_code == 200
    assert "Accept invitation" in invited.content.decode()


def test_private_community_discussions_are_hidden_from_invitees(
    client, community_factory, other_member, add_member, discussion_factory
):
    community = community_factory("quiet", policy=Community.Policy.PRIVATE)
    add_member(other_member, community, status=Membership.Status.INVITED)
    discussion_factory(community, title="Only for members")
    client.force_login(other_member)

    assert "Only for members" not in client.get("/c/quiet/").content.decode()


def test_it_shows_numbered_guidelines_codes_aliases_and_moderators(client, mecfs, moderator, add_member):
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    CommunityAlias.objects.create(community=mecfs, name="cfs", status=CommunityAlias.Status.ACCEPTED)
    CommunityAlias.objects.create(community=mecfs, name="mepending", status=CommunityAlias.Status.PROPOSED)

    html = client.get("/c/mecfs/").content.decode()

    assert '<li id="guideline-1">Be kind.</li>' in html
    assert '<li id="guideline-3">Keep others&#x27; stories here.</li>' in html
    assert "8E49" in html and "ORPHA:1234" in html
    assert "#cfs" in html
    assert "#mepending" not in html
    assert '<a href="/u/sam/">Sam</a>' in html


def test_anonymous_discussion_never_names_its_author(client, mecfs, discussion_factory, member):
    discussion_factory(mecfs, title="Hard week", is_anonymous=True, author=member)

    html = client.get("/c/mecfs/").content.decode()

    assert "Anonymous member" in html
    assert "Alice" not in html
    assert "/u/alice/" not in html


def test_it_links_named_authors_and_shows_former_members(client, mecfs, discussion_factory, member):
    discussion_factory(mecfs, title="Named", author=member)
    discussion_factory(mecfs, title="Orphaned", author=None)

    html = client.get("/c/mecfs/").content.decode()

    assert '<a href="/u/alice/">Alice</a>' in html
    assert "Former member" in html


def test_a_content_warning_replaces_the_excerpt(client, mecfs, discussion_factory):
    discussion_factory(
        mecfs, title="Bad news", content_warning="self-harm", body="CANARY detail", body_html="<p>CANARY detail</p>"
    )
    discussion_factory(mecfs, title="Good news", body_html="<p>Walked &amp; rested</p>")

    html = client.get("/c/mecfs/").content.decode()

    assert "Content warning: self-harm" in html
    assert "CANARY" not in html
    assert "Walked &amp; rested" in html


def test_list_items_show_marks_counts_and_hashtags(client, mecfs, community_factory, discussion_factory):
    spoonie = community_factory("spoonie")
    discussion_factory(mecfs, spoonie, title="Both", is_locked=True, published_reply_count=4)

    html = client.get("/c/mecfs/").content.decode()

    assert "Locked" in html
    assert "4 replies" in html
    assert '<a href="/c/spoonie/">#spoonie</a>' in html


def test_discussion_links_use_the_discussion_url(client, mecfs, discussion_factory):
    discussion = discussion_factory(mecfs, title="Pacing tips")

    html = client.get("/c/mecfs/").content.decode()

    assert f'href="{discussion.get_absolute_url()}"' in html


@pytest.mark.parametrize("page", ["0", "-3", "abc", "2.5", "99999", "9" * 5000, "", "%00"])
def test_bad_page_numbers_land_on_a_real_page(client, mecfs, many_discussions, page):
    many_discussions(mecfs, 35)

    response = client.get("/c/mecfs/", {"page": page})

    assert response.status_code == 200
    assert 1 <= response.context["page"].number <= 2


def test_pages_are_thirty_discussions_long(client, mecfs, many_discussions):
    many_discussions(mecfs, 35)

    first = client.get("/c/mecfs/")
    second = client.get("/c/mecfs/?page=2")

    assert len(first.context["discussions"]) == 30
    assert len(second.context["discussions"]) == 5
    assert 'href="?page=2"' in first.content.decode()


@pytest.mark.parametrize("count", [10, 500])
def test_query_count_does_not_grow_with_discussions_for_visitors(
    client, mecfs, many_discussions, django_assert_max_num_queries, count
):
    many_discussions(mecfs, count)

    with django_assert_max_num_queries(6):
        response = client.get("/c/mecfs/")
    assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 500])
def test_query_count_does_not_grow_with_discussions_for_moderators(
    client,
    mecfs,
    many_discussions,
    moderator,
    member,
    add_member,
    community_factory,
    django_assert_max_num_queries,
    count,
):
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    spoonie = community_factory("spoonie")
    discussions = many_discussions(mecfs, count, author=member)
    for discussion in discussions[:30]:
        discussion.tags.add(spoonie.tag)
    client.force_login(moderator)
    client.get("/c/mecfs/")  # loads the moderator's access context

    # 10 for the page (with what is new to the member); up to 8 for the session, the user and allauth's record.
    with django_assert_max_num_queries(18):
        response = client.get("/c/mecfs/")
    assert response.status_code == 200
    assert len(response.context["discussions"]) == min(count, 30)


def test_an_alias_redirects_permanently_to_the_canonical_hashtag(client, mecfs):
    CommunityAlias.objects.create(community=mecfs, name="cfs", status=CommunityAlias.Status.ACCEPTED)

    response = client.get("/c/cfs/?page=2")

    assert response.status_code == 301
    assert response["Location"] == "/c/mecfs/?page=2"


def test_a_differently_typed_hashtag_redirects_to_the_canonical_one(client, mecfs):
    response = client.get("/c/MECFS/")

    assert response.status_code == 301
    assert response["Location"] == "/c/mecfs/"


def test_proposed_and_declined_aliases_do_not_redirect(client, mecfs):
    CommunityAlias.objects.create(community=mecfs, name="cfs", status=CommunityAlias.Status.PROPOSED)
    CommunityAlias.objects.create(community=mecfs, name="me", status=CommunityAlias.Status.DECLINED)

    assert client.get("/c/cfs/").status_code == 404
    assert client.get("/c/me/").status_code == 404


def test_an_alias_of_a_private_community_is_404_for_outsiders(client, community_factory, outsider, member, add_member):
    community = community_factory("quiet", policy=Community.Policy.PRIVATE)
    CommunityAlias.objects.create(community=community, name="hush", status=CommunityAlias.Status.ACCEPTED)
    add_member(member, community)

    client.force_login(outsider)
    assert client.get("/c/hush/").status_code == 404
    client.force_login(member)
    assert client.get("/c/hush/").status_code == 301


@pytest.mark.parametrize("hashtag", ["a" * 500, "%3Cscript%3E", "d%D1%96abetes", "..", "x y"])
def test_odd_hashtags_are_404_not_errors(client, hashtag):
    assert client.get(f"/c/{hashtag}/").status_code == 404


def test_signed_out_visitors_get_an_indexable_page(client, mecfs):
    response = client.get("/c/mecfs/")

    assert '<meta name="robots" content="index, follow">' in response.content.decode()
    assert "X-Robots-Tag" not in response


def test_signed_in_pages_are_not_indexable(client, mecfs, member):
    client.force_login(member)

    response = client.get("/c/mecfs/")

    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_private_community_pages_are_never_indexable(client, community_factory, staff):
    community_factory("quiet", policy=Community.Policy.PRIVATE)
    client.force_login(staff)

    response = client.get("/c/quiet/")

    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize(
    ("policy", "button"),
    [
        (Community.Policy.OPEN, "Join #place"),
        (Community.Policy.APPROVAL, "Ask to join"),
    ],
)
def test_the_join_button_follows_the_policy(client, community_factory, member, policy, button):
    community_factory("place", policy=policy)
    client.force_login(member)

    assert button in client.get("/c/place/").content.decode()


def test_members_see_leave_and_requesters_see_withdraw(client, mecfs, community_factory, member, add_member):
    eds = community_factory("eds", policy=Community.Policy.APPROVAL)
    add_member(member, mecfs)
    add_member(member, eds, status=Membership.Status.REQUESTED)
    client.force_login(member)

    assert "Leave #mecfs" in client.get("/c/mecfs/").content.decode()
    assert "Withdraw request" in client.get("/c/eds/").content.decode()


def test_signed_out_visitors_are_invited_to_sign_in(client, mecfs):
    html = client.get("/c/mecfs/").content.decode()

    assert "Sign in to join" in html
    assert not re.search(r'action="/c/mecfs/join/"', html)


def test_moderators_see_their_tools_with_pending_counts(client, community_factory, moderator, member, add_member):
    eds = community_factory("eds", policy=Community.Policy.APPROVAL)
    add_member(moderator, eds, role=Membership.Role.MODERATOR)
    add_member(member, eds, status=Membership.Status.REQUESTED)
    client.force_login(moderator)

    html = client.get("/c/eds/").content.decode()

    assert "Join requests (1)" in html


def test_members_can_start_a_discussion_and_propose_a_name(client, mecfs, member, add_member, outsider):
    add_member(member, mecfs)

    client.force_login(member)
    html = client.get("/c/mecfs/").content.decode()
    assert 'href="/d/new/?c=mecfs"' in html
    assert 'href="/c/mecfs/aliases/propose/"' in html

    client.force_login(outsider)
    html = client.get("/c/mecfs/").content.decode()
    assert "/d/new/?c=mecfs" not in html
    assert "/aliases/propose/" not in html
