import pytest

from community.models import Community, CommunityAlias, Membership
from discussions.models import Discussion, Visibility

pytestmark = pytest.mark.django_db


def _rows(response) -> dict[str, Community]:
    return {community.slug: community for community in response.context["page"].object_list}


@pytest.fixture
def world(community_factory, discussion_factory, member, other_member, add_member):
    """#mecfs (open, alias #cfs), #eds (approval), #quiet (private, alice a member)."""
    mecfs = community_factory("mecfs", name="ME/CFS")
    CommunityAlias.objects.create(community=mecfs, name="cfs", status=CommunityAlias.Status.ACCEPTED)
    CommunityAlias.objects.create(community=mecfs, name="chronicfatigue", status=CommunityAlias.Status.PROPOSED)
    eds = community_factory("eds", name="Ehlers-Danlos syndromes", policy=Community.Policy.APPROVAL)
    quiet = community_factory("quiet", name="Quiet room", policy=Community.Policy.PRIVATE)
    add_member(member, mecfs)
    add_member(other_member, mecfs)
    add_member(member, quiet)
    add_member(other_member, eds, status=Membership.Status.REQUESTED)

    discussion_factory(mecfs, title="public")
    discussion_factory(mecfs, title="members", visibility=Visibility.MEMBERS)
    discussion_factory(mecfs, title="community", visibility=Visibility.COMMUNITY)
    discussion_factory(mecfs, title="removed", status=Discussion.Status.REMOVED)
    discussion_factory(mecfs, quiet, title="in private too")
    discussion_factory(quiet, title="private")
    return {"mecfs": mecfs, "eds": eds, "quiet": quiet}


def test_visitors_see_public_communities_and_public_counts(client, world):
    response = client.get("/c/")

    rows = _rows(response)
    assert set(rows) == {"eds", "mecfs"}
    assert rows["mecfs"].member_count == 2
    assert rows["mecfs"].discussion_count == 1
    assert rows["eds"].member_count == 0


def test_outsiders_never_see_the_private_community(client, world, outsider):
    client.force_login(outsider)

    response = client.get("/c/")

    assert "quiet" not in _rows(response)
    assert "Quiet room" not in response.content.decode()
    # members-only counts, community-only and private-community discussions do not
    assert _rows(response)["mecfs"].discussion_count == 2


def test_members_see_their_private_community_and_what_they_may_read(client, world, member):
    client.force_login(member)

    rows = _rows(client.get("/c/"))

    assert set(rows) == {"eds", "mecfs", "quiet"}
    assert rows["mecfs"].discussion_count == 4
    assert rows["quiet"].discussion_count == 2
    assert rows["mecfs"].viewer_status == Membership.Status.ACTIVE


def test_counts_agree_with_the_community_page(client, world, outsider, member):
    for viewer in (None, outsider, member):
        if viewer:
            client.force_login(viewer)
        rows = _rows(client.get("/c/"))
        for slug, row in rows.items():
            page = client.get(f"/c/{slug}/")
            assert page.context["page"].paginator.count == row.discussion_count, (viewer, slug)


def test_rows_show_counts_aliases_and_request_state(client, world, other_member):
    client.force_login(other_member)

    html = client.get("/c/").content.decode()

    assert "2 members" in html
    assert "Also: #cfs" in html
    assert "#chronicfatigue" not in html
    assert "Request pending" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [("mecfs", {"mecfs"}), ("#MECFS", {"mecfs"}), ("ehlers", {"eds"}), ("cfs", {"mecfs"}), ("zzz", set())],
)
def test_the_filter_matches_hashtags_names_and_accepted_aliases(client, world, query, expected):
    response = client.get("/c/", {"q": query})

    assert response.status_code == 200
    assert set(_rows(response)) == expected


def test_the_filter_ignores_proposed_aliases_and_hidden_communities(client, world, outsider):
    client.force_login(outsider)

    assert set(_rows(client.get("/c/", {"q": "chronicfatigue"}))) == set()
    assert set(_rows(client.get("/c/", {"q": "quiet"}))) == set()


@pytest.mark.parametrize("query", ["x" * 5000, "%", "_", "'; DROP TABLE x;--", "\x00", "🙂"])
def test_odd_filters_never_fail(client, world, query):
    response = client.get("/c/", {"q": query})

    assert response.status_code == 200


def test_an_overlong_filter_says_why_and_keeps_the_text(client, world):
    response = client.get("/c/", {"q": "mecfs" * 20})

    html = response.content.decode()
    assert "at most 80 characters" in html
    assert 'aria-invalid="true"' in html


def test_bad_page_numbers_never_fail(client, world):
    for page in ("0", "abc", "999", "-1"):
        assert client.get("/c/", {"page": page}).status_code == 200


@pytest.mark.parametrize("count", [5, 60])
def test_query_count_does_not_grow_with_communities(
    client, community_factory, discussion_factory, member, add_member, django_assert_max_num_queries, count
):
    for n in range(count):
        community = community_factory(f"c{n}")
        add_member(member, community)
        discussion_factory(community)
        CommunityAlias.objects.create(community=community, name=f"alias{n}", status=CommunityAlias.Status.ACCEPTED)
    client.force_login(member)

    # 3 for the page (count, rows, aliases); up to 8 for the session, the user and allauth's user-session record.
    with django_assert_max_num_queries(12):
        assert client.get("/c/").status_code == 200


def test_the_directory_may_be_indexed_for_visitors_only(client, world, member):
    assert '<meta name="robots" content="index, follow">' in client.get("/c/").content.decode()
    client.force_login(member)
    assert client.get("/c/")["X-Robots-Tag"] == "noindex, nofollow"


def test_staff_see_a_new_community_link(client, world, staff, member):
    client.force_login(member)
    assert "/c/new/" not in client.get("/c/").content.decode()
    client.force_login(staff)
    assert "/c/new/" in client.get("/c/").content.decode()


def test_unknown_parameters_cannot_steer_the_query(client, world):
    plain = _rows(client.get("/c/"))

    steered = _rows(
        client.get("/c/", {"_connector": "OR", "order_by": "-slug", "policy": "private", "slug__regex": ".*"})
    )

    assert list(steered) == list(plain)
