import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from taggit.models import Tag

from community import services
from community.models import Community, CommunityAlias

pytestmark = pytest.mark.django_db


def test_staff_create_a_community_with_its_canonical_tag(staff):
    community = services.community_create(
        acting_user=staff,
        slug="#LongCovid",
        name="Long COVID",
        guidelines="Be kind\nNo cures for sale",
        policy=Community.Policy.APPROVAL,
        icd11_code="RA02",
    )

    assert community.slug == "longcovid"
    assert community.tag.name == "longcovid"
    assert community.guideline(2) == "No cures for sale"
    assert community.policy == Community.Policy.APPROVAL


def test_an_existing_unclaimed_tag_is_reused(staff):
    Tag.objects.create(name="pots", slug="pots")

    community = services.community_create(acting_user=staff, slug="pots", name="POTS")

    assert Tag.objects.filter(name="pots").count() == 1
    assert community.tag.name == "pots"


def test_members_cannot_create_communities(member):
    with pytest.raises(PermissionDenied):
        services.community_create(acting_user=member, slug="pots", name="POTS")
    assert not Community.objects.exists()


@pytest.mark.parametrize("slug", ["", "two words", "d\u0456abetes", "a" * 41, "new", "autocomplete"])
def test_bad_or_reserved_hashtags_are_refused(staff, slug):
    with pytest.raises(ValidationError) as refused:
        services.community_create(acting_user=staff, slug=slug, name="X")
    assert "slug" in refused.value.message_dict


def test_a_hashtag_taken_by_a_community_or_an_accepted_alias_is_refused(staff, community_factory):
    mecfs = community_factory("mecfs")
    CommunityAlias.objects.create(community=mecfs, name="cfs", status=CommunityAlias.Status.ACCEPTED)
    CommunityAlias.objects.create(community=mecfs, name="myalgic", status=CommunityAlias.Status.PROPOSED)

    for taken in ("mecfs", "CFS"):
        with pytest.raises(ValidationError):
            services.community_create(acting_user=staff, slug=taken, name="X")
    assert services.community_create(acting_user=staff, slug="myalgic", name="Myalgic").pk


def test_an_unknown_policy_is_refused(staff):
    with pytest.raises(ValidationError):
        services.community_create(acting_user=staff, slug="pots", name="POTS", policy="secret")


def test_the_new_community_form_is_staff_only(client, member):
    client.force_login(member)

    assert client.get("/c/new/").status_code == 404
    assert client.post("/c/new/", {"slug": "pots", "name": "POTS", "policy": "open"}).status_code == 404
    assert not Community.objects.exists()


def test_staff_create_a_community_through_the_form(client, staff):
    client.force_login(staff)

    response = client.post(
        "/c/new/", {"slug": "POTS", "name": "POTS", "policy": "private", "guidelines": "One\nTwo", "orpha_code": "1"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/c/pots/"
    assert Community.objects.get().policy == Community.Policy.PRIVATE


def test_a_refused_form_keeps_everything_typed(client, staff, community_factory):
    community_factory("pots")
    client.force_login(staff)

    response = client.post(
        "/c/new/", {"slug": "pots", "name": "Postural tachycardia", "description": "Long text", "policy": "open"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "already a community" in html
    assert 'value="Postural tachycardia"' in html
    assert "Long text" in html


def test_the_form_prefills_a_hashtag_from_the_link(client, staff):
    client.force_login(staff)

    assert 'value="dysautonomia"' in client.get("/c/new/?hashtag=dysautonomia").content.decode()
