"""Every main page, signed out and signed in, in light and dark colour schemes: no
serious or critical axe-core finding. Many members read in dark mode to spare their eyes."""

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from discussions.models import Discussion

PUBLIC_PAGES = ["/", "/c/", "/c/mecfs/", "/search/?q=pacing", "/accounts/login/", "/accounts/signup/", "/no-such-page/"]
MEMBER_PAGES = [
    "/",
    "/c/mecfs/",
    "/d/new/",
    "/notifications/",
    "/notifications/settings/",
    "/settings/profile/",
    "/settings/privacy/",
    "/u/maya/",
    "/mod/",
    "/mod/log/",
]


@pytest.fixture
def demo(live_url):
    call_command("seed_demo")
    return live_url


def signed_in_context(browser, live_url: str, username: str, scheme: str):
    client = Client()
    client.force_login(User.objects.get(username=username))
    context = browser.new_context(color_scheme=scheme)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_url}])
    return context


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_public_pages_are_accessible(demo, browser, scheme, assert_accessible):
    page = browser.new_context(color_scheme=scheme).new_page()
    public_discussion = Discussion.objects.get(title="How do you pace on days that start well?")
    for path in [*PUBLIC_PAGES, public_discussion.get_absolute_url()]:
        page.goto(demo + path)
        assert_accessible(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_member_and_moderator_pages_are_accessible(demo, browser, scheme, assert_accessible):
    page = signed_in_context(browser, demo, "sam_mod", scheme).new_page()
    discussions = Discussion.objects.order_by("pk")
    for path in [*MEMBER_PAGES, *(discussion.get_absolute_url() for discussion in discussions)]:
        page.goto(demo + path)
        assert_accessible(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_audience_and_edit_history_pages_are_accessible(demo, browser, scheme, assert_accessible):
    from discussions import services
    from discussions.models import Visibility

    discussion = (
        Discussion.objects.filter(status=Discussion.Status.PUBLISHED, is_anonymous=False, author__isnull=False)
        .exclude(visibility=Visibility.PUBLIC)
        .exclude(tags__community__policy="private")
        .exclude(author__username="sam_mod")
        .filter(tags__community__memberships__user__username="sam_mod", tags__community__memberships__role="moderator")
        .order_by("pk")
        .first()
    )
    services.discussion_edit(
        acting_user=discussion.author, discussion=discussion, title=discussion.title, body="Reworded for the test."
    )
    page = signed_in_context(browser, demo, discussion.author.username, scheme).new_page()
    base = f"{demo}/d/{discussion.pk}/discussion"
    for path in ("/visibility/", "/revisions/", "/revisions/1/purge/"):
        page.goto(base + path)
        assert_accessible(page)
    page.goto(base + "/visibility/")
    page.check("input[name=visibility][value=public]")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Who will be able to read it").wait_for()
    assert_accessible(page)
    moderator_page = signed_in_context(browser, demo, "sam_mod", scheme).new_page()
    moderator_page.goto(base + "/visibility/")
    moderator_page.get_by_role("button", name="Save").wait_for()
    assert_accessible(moderator_page)


STAFF_PAGES = ["/staff/jobs/", "/mod/verifications/"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_staff_pages_are_accessible(demo, browser, scheme, assert_accessible):
    page = signed_in_context(browser, demo, "staff_jo", scheme).new_page()
    for path in STAFF_PAGES:
        page.goto(demo + path)
        assert page.locator("h1").count() == 1
        assert_accessible(page)
