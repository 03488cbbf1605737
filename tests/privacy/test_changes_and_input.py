"""PL-18 (a privacy change reaches every surface at once), IV-02 (the visibility
enum never falls back to public) and IV-03 (mass assignment is ignored)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from discussions.models import Discussion, Visibility
from discussions.related import related_discussions
from discussions.search import search_discussions
from tests.helpers.privacy import SHARED_WORD, body_canary, reply_canary, title_canary

pytestmark = pytest.mark.django_db


def test_a_discussion_made_community_only_disappears_from_every_surface_at_once(world):
    public = world.posts["public"]
    bob = world.client("outsider")
    visitor = world.client("visitor")
    assert bob.get(f"/d/{public.pk}/").status_code == 200
    assert title_canary("public") in visitor.get("/sitemap.xml").content.decode()
    # The pages visitors share are kept (discussions.visitor_pages): these copies must not outlive the change.
    warning = world.posts["warning"]
    assert visitor.get(f"/d/{public.pk}/").status_code == 200
    assert title_canary("public") in visitor.get(f"/d/{warning.pk}/").content.decode()

    response = world.client("author").post(
        f"/d/{public.pk}/discussion/visibility/", {"visibility": Visibility.COMMUNITY}
    )
    assert response.status_code == 302

    # The very next request on each surface hides it.
    for client in (bob, visitor):
        assert client.get(f"/d/{public.pk}/").status_code == 404
        assert client.get(f"/d/{public.pk}/replies/?after=0").status_code == 404
        for url in (
            "/",
            "/c/cnrycomm/",
            "/u/aliceau/",
            "/sitemap.xml",
            f"/d/{world.posts['members'].pk}/",
            f"/d/{warning.pk}/",
        ):
            html = client.get(url).content.decode()
            assert title_canary("public") not in html, url
            assert body_canary("public") not in html, url
            assert reply_canary("public") not in html, url
        html = client.get("/search/", {"q": title_canary("public")}).content.decode()
        assert f"/d/{public.pk}/" not in html
    for viewer in (world.users["outsider"], AnonymousUser()):
        assert not search_discussions(viewer=viewer, query=title_canary("public")).results
        assert not search_discussions(viewer=viewer, query=reply_canary("public")).results
        related = related_discussions(viewer=viewer, discussion=world.posts["warning"], limit=20)
        assert public.pk not in {d.pk for d in related}
    # A member of its community still reads it.
    assert world.client("member").get(f"/d/{public.pk}/").status_code == 200


def test_the_author_cannot_make_a_discussion_more_public_without_confirming(world):
    community_only = world.posts["community"]

    response = world.client("author").post(
        f"/d/{community_only.pk}/discussion/visibility/", {"visibility": Visibility.PUBLIC}
    )

    assert response.status_code == 200 and "Who will be able to read it" in response.content.decode()
    community_only.refresh_from_db()
    assert community_only.visibility == Visibility.COMMUNITY


def test_someone_else_cannot_change_who_reads_a_discussion(world):
    members_only = world.posts["members"]

    response = world.client("outsider").post(
        f"/d/{members_only.pk}/discussion/visibility/", {"visibility": Visibility.PUBLIC}
    )

    assert response.status_code == 404
    members_only.refresh_from_db()
    assert members_only.visibility == Visibility.MEMBERS


def _post_new(world, **fields):
    data = {"title": "A new one about pacing", "body": "Some text.", "hashtags": "#cnrycomm", **fields}
    data = {key: value for key, value in data.items() if value is not None}
    return world.client("author").post("/d/new/", data)


@pytest.mark.parametrize("value", ["superpublic", "", "PUBLIC ", "Public", "public ", " public", None, ["public", "x"]])
def test_a_bad_or_missing_visibility_is_never_public(world, value):
    before = Discussion.objects.count()

    response = _post_new(world, visibility=value)

    created = Discussion.objects.exclude(pk__in=[d.pk for d in world.posts.values()])
    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        assert created.count() == 1
        assert created.get().visibility != Visibility.PUBLIC
    else:
        assert Discussion.objects.count() == before
        # Nothing typed is lost.
        assert "A new one about pacing" in response.content.decode()
    assert not created.filter(visibility=Visibility.PUBLIC).exists()


def test_fields_a_member_may_not_set_are_ignored(world):
    bob = world.users["outsider"]
    someone_elses = world.posts["members"]
    before = Discussion.objects.count()

    response = _post_new(
        world,
        visibility=Visibility.MEMBERS,
        author=bob.pk,
        author_id=bob.pk,
        is_pinned="on",
        is_locked="on",
        status="removed",
        created_at="2000-01-01T00:00:00Z",
        published_reply_count="99",
        last_reply_number="99",
        as_professional="on",
        id=str(someone_elses.pk),
        pk=str(someone_elses.pk),
    )

    assert response.status_code == 302
    created = Discussion.objects.exclude(pk__in=[d.pk for d in world.posts.values()]).get()
    assert created.author == world.users["author"]
    assert created.is_pinned is False
    assert created.is_locked is False
    assert created.status == Discussion.Status.PUBLISHED
    assert created.created_at.year > 2000
    assert created.published_reply_count == 0
    assert created.last_reply_number == 0
    assert created.as_professional is False
    # An id in the form does not aim the post at an existing row: a new one is added
    # and the discussion that id names keeps its own words.
    assert Discussion.objects.count() == before + 1
    untouched = Discussion.objects.get(pk=someone_elses.pk)
    assert untouched.title == f"{title_canary('members')} {SHARED_WORD} pacing"
    assert untouched.body == someone_elses.body
    assert untouched.visibility == Visibility.MEMBERS


def test_a_shared_word_search_by_a_visitor_returns_only_public_ones(world):
    found = {d.pk for d in search_discussions(viewer=AnonymousUser(), query=SHARED_WORD).results}
    assert found == {world.posts[s].pk for s in ("public", "anonymous", "warning")}
