import pytest
from django.utils import timezone

from community.models import Community
from discussions.models import Discussion, Visibility

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return [d.title for d in response.context["discussions"]]


def test_visitors_see_recent_public_discussions_newest_first(client, community_factory, discussion_factory):
    mecfs = community_factory("mecfs")
    now = timezone.now()
    discussion_factory(mecfs, title="Older", last_activity_at=now - timezone.timedelta(hours=2))
    discussion_factory(mecfs, title="Newer", last_activity_at=now)
    discussion_factory(mecfs, title="Members only", visibility=Visibility.MEMBERS)
    discussion_factory(mecfs, title="Hidden", status=Discussion.Status.HIDDEN)

    response = client.get("/")

    assert _titles(response) == ["Newer", "Older"]
    assert "Members only" not in response.content.decode()


def test_private_community_discussions_stay_off_the_home_page_for_outsiders(
    client, community_factory, discussion_factory, outsider, member, add_member
):
    quiet = community_factory("quiet", name="Quiet room", policy=Community.Policy.PRIVATE)
    add_member(member, quiet)
    discussion_factory(quiet, title="Secret")

    client.force_login(outsider)
    html = client.get("/").content.decode()
    assert "Secret" not in html
    assert "Quiet room" not in html

    client.force_login(member)
    assert "Secret" in client.get("/").content.decode()


def test_it_shows_at_most_twenty_discussions(client, community_factory, many_discussions):
    many_discussions(community_factory("mecfs"), 25)

    assert len(client.get("/").context["discussions"]) == 20


def test_members_see_their_communities_first(client, community_factory, member, other_member, add_member):
    big = community_factory("spoonie", name="Spoonies")
    mine = community_factory("pots", name="POTS")
    add_member(other_member, big)
    add_member(member, mine)
    client.force_login(member)

    response = client.get("/")

    assert [c.slug for c in response.context["my_communities"]] == ["pots"]
    assert "spoonie" in [c.slug for c in response.context["other_communities"]]
    html = response.content.decode()
    # The feed opens the page; among communities, the member's own come first.
    assert html.index("Your feed") < html.index("Your communities") < html.index("More communities")


def test_visitors_see_a_few_communities(client, community_factory):
    for n in range(20):
        community_factory(f"c{n:02}")

    response = client.get("/")

    assert response.context["my_communities"] == []
    assert len(response.context["other_communities"]) == 12


def test_anonymous_and_cw_items_on_the_home_page(client, community_factory, discussion_factory, member):
    mecfs = community_factory("mecfs")
    discussion_factory(mecfs, title="Quietly", author=member, is_anonymous=True)
    discussion_factory(mecfs, title="Heavy", content_warning="grief", body_html="<p>CANARY</p>")

    html = client.get("/").content.decode()

    assert "Anonymous member" in html
    assert "/u/alice/" not in html
    assert "Content warning: grief" in html
    assert "CANARY" not in html


@pytest.mark.parametrize("count", [5, 60])
def test_query_count_is_constant(
    client,
    community_factory,
    many_discussions,
    member,
    add_member,
    django_assert_max_num_queries,
    count,
):
    for n in range(count // 5 + 1):
        community = community_factory(f"c{n:02}")
        add_member(member, community)
        many_discussions(community, 5, author=member)
    client.force_login(member)

    # 4 for the page (discussions, their hashtags, communities, what is new to the member); up to 8 for the
    # session and allauth's record.
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


def test_the_home_page_may_be_indexed_for_visitors_only(client, member):
    assert '<meta name="robots" content="index, follow">' in client.get("/").content.decode()
    client.force_login(member)
    assert client.get("/")["X-Robots-Tag"] == "noindex, nofollow"


def test_signed_in_members_open_on_their_feed_not_the_marketing_hero(
    client, community_factory, discussion_factory, member
):
    discussion_factory(community_factory("mecfs"), title="Pacing on a good day")
    client.force_login(member)

    html = client.get("/").content.decode()

    assert "Find the people who understand" not in html
    assert 'class="hero"' not in html
    main = html[html.index("<main") :]
    first_heading = main[main.index("<h1") : main.index("</h1>")]
    assert "Your feed" in first_heading
    assert main.index("Your feed") < main.index("Pacing on a good day")


def test_visitors_still_get_the_welcome(client):
    html = client.get("/").content.decode()

    assert "Find the people who understand" in html
    assert "Join Spoonful" in html
