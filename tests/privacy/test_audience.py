"""Issue 11, item 2: who may change a discussion's audience, and how.

Only the author widens, and only after a confirmation that names who will be able
to read it. Moderators and staff (with two-factor, like every privileged action)
only narrow: each narrowing is in the moderation log and the author is told.
"""

import pytest

from discussions.models import AuthorAction, Visibility
from moderation.models import ModerationAction, ModerationNotice
from notifications.models import Notification
from tests.helpers.users import enable_two_factor

pytestmark = pytest.mark.django_db


def _visibility_url(discussion) -> str:
    return f"/d/{discussion.pk}/discussion/visibility/"


def test_a_moderator_without_two_factor_is_sent_to_set_it_up_and_changes_nothing(world):
    public = world.posts["public"]

    response = world.client("mod_this").post(_visibility_url(public), {"visibility": Visibility.COMMUNITY})

    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/"
    public.refresh_from_db()
    assert public.visibility == Visibility.PUBLIC
    assert not ModerationAction.objects.exists()


def test_a_moderator_without_two_factor_cannot_open_the_audience_form(world):
    response = world.client("mod_this").get(_visibility_url(world.posts["community"]))

    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/"


@pytest.mark.parametrize("who", ["mod_this", "staff"])
def test_a_moderator_or_staff_cannot_make_a_discussion_more_public(world, who):
    enable_two_factor(world.users[who])
    community_only = world.posts["community"]

    response = world.client(who).post(_visibility_url(community_only), {"visibility": Visibility.PUBLIC})

    assert response.status_code == 400
    assert "Only its author can open it up" in response.content.decode()
    community_only.refresh_from_db()
    assert community_only.visibility == Visibility.COMMUNITY
    assert not ModerationAction.objects.exists()
    assert not Notification.objects.filter(recipient=world.users["author"]).exists()


def test_the_moderators_form_offers_only_narrower_audiences(world):
    enable_two_factor(world.users["mod_this"])

    html = world.client("mod_this").get(_visibility_url(world.posts["members"])).content.decode()

    assert 'value="community"' in html and 'value="members"' in html
    assert 'value="public"' not in html


def test_a_moderator_narrowing_is_logged_with_the_moderator_and_the_author_is_told(world):
    moderator, author = world.users["mod_this"], world.users["author"]
    enable_two_factor(moderator)
    public = world.posts["public"]

    response = world.client("mod_this").post(
        _visibility_url(public), {"visibility": Visibility.COMMUNITY, "reason": "Mentions a named clinic"}
    )

    assert response.status_code == 302
    public.refresh_from_db()
    assert public.visibility == Visibility.COMMUNITY
    action = ModerationAction.objects.get()
    assert action.kind == ModerationAction.Kind.VISIBILITY
    assert action.actor == moderator and action.target_user == author and action.discussion == public
    assert action.community == world.community
    assert action.reason == "Mentions a named clinic"
    assert (action.before["visibility"], action.after["visibility"]) == ("public", "community")
    notice = ModerationNotice.objects.get(user=author, action=action)
    assert Visibility.COMMUNITY.label in notice.message and "Mentions a named clinic" in notice.message
    assert Notification.objects.filter(recipient=author, kind=Notification.Kind.MODERATION_DECISION).exists()
    log = world.client("mod_this").get("/mod/log/").content.decode()
    assert "Narrowed who can read" in log and "public → community" in log


def test_the_author_widens_only_after_confirming_who_will_be_able_to_read_it(world):
    community_only = world.posts["community"]
    author = world.client("author")

    asked = author.post(_visibility_url(community_only), {"visibility": Visibility.PUBLIC})

    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Anyone on the internet, including search engines" in html
    assert "1 reply by other members" in html
    community_only.refresh_from_db()
    assert community_only.visibility == Visibility.COMMUNITY
    assert not AuthorAction.objects.exists()

    confirmed = author.post(
        _visibility_url(community_only), {"visibility": Visibility.PUBLIC, "confirm": Visibility.PUBLIC}
    )

    assert confirmed.status_code == 302
    community_only.refresh_from_db()
    assert community_only.visibility == Visibility.PUBLIC
    entry = AuthorAction.objects.get()
    assert entry.kind == AuthorAction.Kind.VISIBILITY and entry.actor == world.users["author"]
    assert (entry.before, entry.after) == ({"visibility": "community"}, {"visibility": "public"})
    # The author's own change is not a moderation decision: nobody is notified, nothing is in the log.
    assert not ModerationAction.objects.exists()


def test_a_confirmation_for_a_smaller_audience_does_not_widen_further(world):
    community_only = world.posts["community"]

    response = world.client("author").post(
        _visibility_url(community_only), {"visibility": Visibility.PUBLIC, "confirm": Visibility.MEMBERS}
    )

    assert response.status_code == 200
    assert "Anyone on the internet, including search engines" in response.content.decode()
    community_only.refresh_from_db()
    assert community_only.visibility == Visibility.COMMUNITY


def test_widening_to_signed_in_members_says_anyone_can_sign_up(world):
    response = world.client("author").post(
        _visibility_url(world.posts["community"]), {"visibility": Visibility.MEMBERS}
    )

    assert response.status_code == 200
    assert "anyone can sign up" in response.content.decode()


def test_the_author_narrows_at_once_without_a_confirmation(world):
    public = world.posts["public"]

    response = world.client("author").post(_visibility_url(public), {"visibility": Visibility.MEMBERS})

    assert response.status_code == 302
    public.refresh_from_db()
    assert public.visibility == Visibility.MEMBERS
    assert not Notification.objects.filter(recipient=world.users["author"]).exists()
