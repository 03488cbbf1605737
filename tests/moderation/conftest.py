import pytest

from accounts.models import User
from community.models import Community, CommunityAlias, Membership
from discussions import services
from discussions.models import Discussion, Reply, Visibility


@pytest.fixture
def mecfs(community_factory) -> Community:
    community = community_factory("mecfs", name="ME/CFS", guidelines="Be kind\nNo medical advice\nNo personal data")
    CommunityAlias.objects.create(community=community, name="cfs", status=CommunityAlias.Status.ACCEPTED)
    return community


@pytest.fixture
def pots(community_factory) -> Community:
    return community_factory("pots", name="POTS", guidelines="Be kind")


def _join(user: User, community: Community, role: str = Membership.Role.MEMBER) -> Membership:
    return Membership.objects.create(user=user, community=community, role=role)


@pytest.fixture
def moderator(user_factory, mecfs) -> User:
    user = user_factory("sam", display_name="Sam", two_factor=True)
    _join(user, mecfs, Membership.Role.MODERATOR)
    return user


@pytest.fixture
def other_moderator(user_factory, mecfs) -> User:
    user = user_factory("kim", display_name="Kim", two_factor=True)
    _join(user, mecfs, Membership.Role.MODERATOR)
    return user


@pytest.fixture
def pots_moderator(user_factory, pots) -> User:
    """Moderates #pots only: must get 404 on everything in #mecfs."""
    user = user_factory("dee", display_name="Dee", two_factor=True)
    _join(user, pots, Membership.Role.MODERATOR)
    return user


@pytest.fixture
def members(member, other_member, mecfs):
    _join(member, mecfs)
    _join(other_member, mecfs)
    return member, other_member


@pytest.fixture
def discussion(members) -> Discussion:
    author, _ = members
    return services.discussion_create(
        author=author,
        title="Pacing on bad days",
        body="What helps you pace when everything hurts? Call me on 07700 900123.",
        hashtags=["mecfs"],
        visibility=Visibility.COMMUNITY,
    )


@pytest.fixture
def reply(discussion, other_member) -> Reply:
    return services.reply_create(author=other_member, discussion=discussion, body="Buy miracle pills at example.com")


@pytest.fixture
def login(client):
    def sign_in(user: User):
        client.force_login(user)
        return client

    return sign_in
