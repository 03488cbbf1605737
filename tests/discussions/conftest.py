import pytest
from django.utils import timezone

from accounts.models import User
from community.models import Community, CommunityAlias, Membership
from discussions import services
from discussions.models import Discussion, Reply, Visibility


@pytest.fixture
def mecfs(community_factory) -> Community:
    community = community_factory("mecfs", name="ME/CFS", guidelines="Be kind\nNo medical advice\nNo spam")
    CommunityAlias.objects.create(community=community, name="cfs", status=CommunityAlias.Status.ACCEPTED)
    return community


@pytest.fixture
def spoonie(community_factory) -> Community:
    return community_factory("spoonie", name="Spoonies")


@pytest.fixture
def hidden_circle(community_factory) -> Community:
    return community_factory("circle", name="A private circle", policy=Community.Policy.PRIVATE)


@pytest.fixture
def start(member, mecfs):
    """``start(title=..., visibility=..., author=...)``: a discussion made through the service."""

    def make(**fields) -> Discussion:
        fields.setdefault("author", member)
        fields.setdefault("title", "Pacing on bad days")
        fields.setdefault("body", "What helps you pace when everything hurts?")
        fields.setdefault("hashtags", ["mecfs"])
        fields.setdefault("visibility", Visibility.PUBLIC)
        if fields["visibility"] == Visibility.COMMUNITY:
            # A member may only write what they could read: for its communities' members.
            for community in Community.objects.filter(slug__in=fields["hashtags"]):
                Membership.objects.get_or_create(user=fields["author"], community=community)
        return services.discussion_create(**fields)

    return make


@pytest.fixture
def bulk_replies(db):
    """``bulk_replies(discussion, 500, author=...)``: top-level replies in one INSERT."""

    def make(discussion: Discussion, count: int, *, author: User) -> list[Reply]:
        first = discussion.last_reply_number + 1
        replies = [
            Reply(
                discussion=discussion,
                author=author,
                number=number,
                path=services.pad_number(number),
                depth=0,
                body=f"Reply {number}",
                body_html=f"<p>Reply {number}</p>",
            )
            for number in range(first, first + count)
        ]
        Reply.objects.bulk_create(replies)
        Discussion.objects.filter(pk=discussion.pk).update(
            last_reply_number=first + count - 1,
            published_reply_count=discussion.published_reply_count + count,
            last_activity_at=timezone.now(),
        )
        discussion.refresh_from_db()
        return replies

    return make
