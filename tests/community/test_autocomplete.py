import pytest

from community.models import Community, CommunityAlias

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(community_factory, member, add_member):
    mecfs = community_factory("mecfs", name="ME/CFS")
    CommunityAlias.objects.create(community=mecfs, name="cfs", status=CommunityAlias.Status.ACCEPTED)
    CommunityAlias.objects.create(community=mecfs, name="me", status=CommunityAlias.Status.ACCEPTED)
    CommunityAlias.objects.create(community=mecfs, name="cfsproposed", status=CommunityAlias.Status.PROPOSED)
    quiet = community_factory("mequiet", name="Quiet room", policy=Community.Policy.PRIVATE)
    CommunityAlias.objects.create(community=quiet, name="cfsquiet", status=CommunityAlias.Status.ACCEPTED)
    add_member(member, quiet)


def _results(client, q):
    response = client.get("/c/autocomplete/", {"q": q})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


def test_it_suggests_hashtags_and_aliases_by_prefix(client, world):
    assert _results(client, "me") == [
        {"hashtag": "me", "name": "ME/CFS", "alias_of": "mecfs"},
        {"hashtag": "mecfs", "name": "ME/CFS", "alias_of": None},
    ]
    assert _results(client, "#CF") == [{"hashtag": "cfs", "name": "ME/CFS", "alias_of": "mecfs"}]


def test_private_communities_and_their_aliases_stay_hidden_from_outsiders(client, world, outsider):
    client.force_login(outsider)

    assert "mequiet" not in str(_results(client, "me"))
    assert _results(client, "cfsq") == []


def test_members_of_a_private_community_get_it_suggested(client, world, member):
    client.force_login(member)

    hashtags = [r["hashtag"] for r in _results(client, "me")]
    assert "mequiet" in hashtags
    assert _results(client, "cfsq") == [{"hashtag": "cfsquiet", "name": "Quiet room", "alias_of": "mequiet"}]


def test_it_returns_at_most_ten(client, community_factory):
    for n in range(15):
        community_factory(f"pots{n:02}")

    assert len(_results(client, "pots")) == 10


@pytest.mark.parametrize("q", ["", "#", "x" * 5000, "a b", "<script>", "d\u0456a", "%"])
def test_odd_input_gives_an_empty_list(client, world, q):
    assert _results(client, q) == []


def test_it_uses_a_constant_number_of_queries(client, community_factory, django_assert_max_num_queries):
    for n in range(30):
        community = community_factory(f"long{n:02}")
        CommunityAlias.objects.create(community=community, name=f"longa{n}", status=CommunityAlias.Status.ACCEPTED)

    with django_assert_max_num_queries(2):
        assert len(_results(client, "long")) == 10
