import pytest
from django.utils import timezone

from community.models import Community
from discussions.models import Discussion, DiscussionTag, Visibility


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
