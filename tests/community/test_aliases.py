import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from community import services
from community.models import Community, CommunityAlias, Membership
from tests.helpers.privacy import normalised

pytestmark = pytest.mark.django_db


@pytest.fixture
def mecfs(community_factory, moderator, member, add_member) -> Community:
    community = community_factory("mecfs", name="ME/CFS")
    add_member(moderator, community, role=Membership.Role.MODERATOR)
    add_member(member, community)
    return community


def test_a_member_proposes_a_normalised_alias(mecfs, member):
    alias = services.alias_propose(acting_user=member, community=mecfs, name="  #CFS ")

    assert alias.name == "cfs"
    assert alias.status == CommunityAlias.Status.PROPOSED
    assert alias.proposed_by == member


def test_outsiders_cannot_propose(mecfs, outsider):
    with pytest.raises(PermissionDenied):
        services.alias_propose(acting_user=outsider, community=mecfs, name="cfs")
    assert not CommunityAlias.objects.exists()


@pytest.mark.parametrize("name", ["", "#", "c f s", "d\u0456abetes", "a" * 41, "<script>"])
def test_invalid_hashtags_are_refused_with_a_reason(mecfs, member, name):
    with pytest.raises(ValidationError) as refused:
        services.alias_propose(acting_user=member, community=mecfs, name=name)
    assert refused.value.message_dict["name"]


def test_an_existing_community_hashtag_cannot_become_an_alias(mecfs, member, community_factory):
    community_factory("spoonie")

    with pytest.raises(ValidationError, match="already a community"):
        services.alias_propose(acting_user=member, community=mecfs, name="spoonie")


def test_an_accepted_alias_elsewhere_cannot_be_proposed_again(mecfs, member, community_factory):
    other = community_factory("longcovid")
    CommunityAlias.objects.create(community=other, name="pasc", status=CommunityAlias.Status.ACCEPTED)

    with pytest.raises(ValidationError, match="another name"):
        services.alias_propose(acting_user=member, community=mecfs, name="pasc")


def test_the_same_alias_is_proposed_once_per_community(mecfs, member):
    services.alias_propose(acting_user=member, community=mecfs, name="cfs")

    with pytest.raises(ValidationError, match="already been proposed"):
        services.alias_propose(acting_user=member, community=mecfs, name="CFS")


def test_a_moderator_accepts_an_alias(mecfs, member, moderator):
    alias = services.alias_propose(acting_user=member, community=mecfs, name="cfs")

    services.alias_decide(acting_user=moderator, alias=alias, accept=True)

    alias.refresh_from_db()
    assert alias.status == CommunityAlias.Status.ACCEPTED
    assert alias.decided_by == moderator


def test_a_moderator_declines_an_alias(mecfs, member, moderator):
    alias = services.alias_propose(acting_user=member, community=mecfs, name="cfs")

    services.alias_decide(acting_user=moderator, alias=alias, accept=False)

    alias.refresh_from_db()
    assert alias.status == CommunityAlias.Status.DECLINED


def test_moderators_of_other_communities_and_members_cannot_decide(
    mecfs, member, community_factory, user_factory, add_member
):
    other_moderator = user_factory("dana")
    add_member(other_moderator, community_factory("pots"), role=Membership.Role.MODERATOR)
    alias = services.alias_propose(acting_user=member, community=mecfs, name="cfs")

    for actor in (other_moderator, member):
        with pytest.raises(PermissionDenied):
            services.alias_decide(acting_user=actor, alias=alias, accept=True)
    alias.refresh_from_db()
    assert alias.status == CommunityAlias.Status.PROPOSED


def test_accepting_is_refused_when_another_community_took_the_name_meanwhile(
    mecfs, member, moderator, community_factory, staff
):
    alias = services.alias_propose(acting_user=member, community=mecfs, name="fatigue")
    services.community_create(acting_user=staff, slug="fatigue", name="Fatigue")

    with pytest.raises(ValidationError):
        services.alias_decide(acting_user=moderator, alias=alias, accept=True)
    alias.refresh_from_db()
    assert alias.status == CommunityAlias.Status.PROPOSED


def test_a_decision_is_made_once(mecfs, member, moderator):
    alias = services.alias_propose(acting_user=member, community=mecfs, name="cfs")
    services.alias_decide(acting_user=moderator, alias=alias, accept=False)

    with pytest.raises(ValidationError, match="already"):
        services.alias_decide(acting_user=moderator, alias=alias, accept=True)


# --- Views -----------------------------------------------------------------------------


def test_proposing_through_the_form(client, mecfs, member):
    client.force_login(member)

    response = client.post("/c/mecfs/aliases/propose/", {"name": "#ME"})

    assert response.status_code == 302
    assert CommunityAlias.objects.get().name == "me"


def test_a_refused_proposal_keeps_what_was_typed_and_says_why(client, mecfs, member, community_factory):
    community_factory("spoonie")
    client.force_login(member)

    response = client.post("/c/mecfs/aliases/propose/", {"name": "Spoonie"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "already a community" in html
    assert 'value="Spoonie"' in html


def test_an_outsider_is_told_to_join_first(client, mecfs, outsider):
    client.force_login(outsider)

    response = client.post("/c/mecfs/aliases/propose/", {"name": "cfs"})

    assert response.status_code == 200
    assert "Join the community" in response.content.decode()
    assert not CommunityAlias.objects.exists()


def test_moderator_accepts_from_the_proposals_page_and_the_alias_redirects(client, mecfs, member, moderator):
    alias = services.alias_propose(acting_user=member, community=mecfs, name="cfs")
    client.force_login(moderator)
    assert client.get("/c/mecfs/aliases/")["Location"] == "/mod/communities/mecfs/#aliases"
    assert "#cfs" in client.get("/mod/communities/mecfs/").content.decode()

    client.post(f"/mod/communities/mecfs/aliases/{alias.pk}/decide/", {"decision": "accept"})

    response = client.get("/c/cfs/")
    assert response.status_code == 301
    assert response["Location"] == "/c/mecfs/"


def test_deciding_needs_a_post_and_a_moderator(client, mecfs, member):
    alias = services.alias_propose(acting_user=member, community=mecfs, name="cfs")
    client.force_login(member)

    assert client.get(f"/mod/communities/mecfs/aliases/{alias.pk}/decide/").status_code == 405
    assert client.post(f"/mod/communities/mecfs/aliases/{alias.pk}/decide/", {"decision": "accept"}).status_code == 404
    alias.refresh_from_db()
    assert alias.status == CommunityAlias.Status.PROPOSED


def test_an_alias_of_another_community_cannot_be_decided_through_this_one(
    client, mecfs, member, community_factory, user_factory, add_member
):
    pots = community_factory("pots")
    pots_moderator = user_factory("dana", two_factor=True)
    add_member(pots_moderator, pots, role=Membership.Role.MODERATOR)
    alias = services.alias_propose(acting_user=member, community=mecfs, name="cfs")
    client.force_login(pots_moderator)

    assert client.post(f"/mod/communities/pots/aliases/{alias.pk}/decide/", {"decision": "accept"}).status_code == 404
    alias.refresh_from_db()
    assert alias.status == CommunityAlias.Status.PROPOSED


@pytest.mark.parametrize("hidden_name", ["secretcircle", "secretalias"])
def test_proposing_a_name_a_hidden_private_community_holds_looks_like_any_proposal(
    client, mecfs, member, moderator, community_factory, hidden_name
):
    """Neither the form nor the moderators' list may confirm that the private community exists."""
    hidden = community_factory("secretcircle", policy=Community.Policy.PRIVATE)
    CommunityAlias.objects.create(community=hidden, name="secretalias", status=CommunityAlias.Status.ACCEPTED)
    client.force_login(member)

    answers = {}
    for name in (hidden_name, "freename"):
        first = client.post("/c/mecfs/aliases/propose/", {"name": name}, follow=True).content.decode()
        again = client.post("/c/mecfs/aliases/propose/", {"name": name}).content.decode()
        answers[name] = (normalised(first).replace(name, "NAME"), normalised(again).replace(name, "NAME"))

    assert answers[hidden_name] == answers["freename"]
    assert "already a community" not in answers[hidden_name][0]
    assert "has already been proposed" in answers[hidden_name][1]
    client.force_login(moderator)
    proposals = client.get("/mod/communities/mecfs/").content.decode()
    assert "freename" in proposals
    assert hidden_name not in proposals
    assert not CommunityAlias.objects.filter(community=mecfs, name=hidden_name, status="proposed").exists()


def test_accepting_a_name_a_hidden_private_community_took_meanwhile_does_not_name_it(
    mecfs, member, moderator, community_factory
):
    alias = services.alias_propose(acting_user=member, community=mecfs, name="secretcircle")
    community_factory("secretcircle", policy=Community.Policy.PRIVATE)

    with pytest.raises(ValidationError) as refused:
        services.alias_decide(acting_user=moderator, alias=alias, accept=True)

    assert "already a community" not in " ".join(refused.value.messages)
    assert "#secretcircle is not available" in " ".join(refused.value.messages)
