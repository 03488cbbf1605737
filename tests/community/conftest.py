import pytest
from django.utils import timezone
from taggit.models import Tag

from accounts.models import User
from community.models import Community, Membership
from discussions.models import Discussion, DiscussionTag, Visibility


@pytest.fixture
def staff(user_factory) -> User:
    return user_factory("jo", display_name="Jo (staff)", is_staff=True, two_factor=True)


@pytest.fixture
def moderator(user_factory) -> User:
    return user_factory("sam", display_name="Sam", two_factor=True)


@pytest.fixture
def community_factory(db):
    """``community_factory("mecfs", policy=Community.Policy.PRIVATE, name="ME/CFS")`` through the ORM."""

    def make(slug: str, **fields) -> Community:
        tag = Tag.objects.create(name=slug, slug=slug)
        fields.setdefault("name", slug.upper())
        return Community.objects.create(slug=slug, tag=tag, **fields)

    return make


@pytest.fixture
def add_member(db):
    def add(user: User, community: Community, *, role: str = Membership.Role.MEMBER, status: str = "active"):
        return Membership.objects.create(user=user, community=community, role=role, status=status)

    return add


@pytest.fixture
def discussion_factory(db):
    """Discussions made with the ORM, since the discussion services are written elsewhere."""

    def make(*communities: Community, title: str = "A discussion", **fields) -> Discussion:
        fields.setdefault("visibility", Visibility.PUBLIC)
        fields.setdefault("last_activity_at", timezone.now())
        fields.setdefault("body", "Some text")
        fields.setdefault("body_html", "<p>Some text</p>")
        discussion = Discussion.objects.create(title=title, **fields)
        for community in communities:
            discussion.tags.add(community.tag)
        return discussion

    return make


@pytest.fixture
def many_discussions(db):
    """``many_discussions(community, 500, author=...)``: bulk-made public discussions in one community."""

    def make(community: Community, count: int, **fields) -> list[Discussion]:
        now = timezone.now()
        fields.setdefault("visibility", Visibility.PUBLIC)
        discussions = Discussion.objects.bulk_create(
            Discussion(
                title=f"Discussion {n}",
                body=f"Body {n}",
                body_html=f"<p>Body {n}</p>",
                last_activity_at=now - timezone.timedelta(minutes=n),
                **fields,
            )
            for n in range(count)
        )
        DiscussionTag.objects.bulk_create(DiscussionTag(content_object=d, tag=community.tag) for d in discussions)
        return discussions

    return make
