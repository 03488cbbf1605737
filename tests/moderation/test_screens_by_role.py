"""Issue 15: every screen that replaced an admin page is in the moderation navigation of the role
that owns it, opens for that role, and is refused (403 or 404) to every other role."""

import pytest

from community.models import Membership

pytestmark = pytest.mark.django_db

# (label in the moderation navigation, address, who owns it)
SCREENS = [
    ("Keyword rules", "/mod/rules/", "moderator"),
    ("Muted and banned", "/mod/members/", "moderator"),
    ("Communities", "/mod/communities/", "moderator"),
    ("Communities", "/mod/communities/mecfs/", "mecfs moderator"),
    ("Dashboard", "/mod/dashboard/?community=mecfs", "mecfs moderator"),
    ("Dashboard", "/mod/dashboard/figures.csv?community=mecfs", "mecfs moderator"),
    ("Audit log", "/mod/log.csv?community=mecfs", "mecfs moderator"),
    ("Policy & moderators", "/mod/staff/communities/", "staff"),
    ("Crisis resources", "/mod/crisis-resources/", "staff"),
    ("Verifications", "/mod/verifications/", "staff"),
    ("Reported messages", "/mod/message-reports/", "staff"),
]


@pytest.fixture
def cast(user_factory, community_factory, add_member, staff):
    mecfs, pots = community_factory("mecfs"), community_factory("pots")
    mecfs_moderator = user_factory("sam", display_name="Sam", two_factor=True)
    pots_moderator = user_factory("pat", display_name="Pat", two_factor=True)
    member = user_factory("alice", display_name="Alice")
    add_member(mecfs_moderator, mecfs, role=Membership.Role.MODERATOR)
    add_member(pots_moderator, pots, role=Membership.Role.MODERATOR)
    add_member(member, mecfs)
    return {"staff": staff, "mecfs moderator": mecfs_moderator, "pots moderator": pots_moderator, "member": member}


def owners(owner: str) -> set[str]:
    if owner == "staff":
        return {"staff"}
    if owner == "mecfs moderator":
        return {"staff", "mecfs moderator"}
    return {"staff", "mecfs moderator", "pots moderator"}


@pytest.mark.parametrize(("label", "address", "owner"), SCREENS, ids=[screen[1] for screen in SCREENS])
@pytest.mark.parametrize("role", ["staff", "mecfs moderator", "pots moderator", "member"])
def test_each_screen_opens_for_its_owners_from_the_navigation_and_is_refused_to_everyone_else(
    client, cast, label, address, owner, role
):
    client.force_login(cast[role])
    response = client.get(address)
    if role in owners(owner):
        assert response.status_code == 200, (role, address)
        navigation = client.get("/mod/").content.decode()
        assert f">{label.replace('&', '&amp;')}</a>" in navigation, (role, label)
    else:
        assert response.status_code in (403, 404), (role, address, response.status_code)


@pytest.mark.parametrize("address", sorted({screen[1] for screen in SCREENS}))
def test_signed_out_visitors_are_sent_to_sign_in_or_find_nothing(client, address):
    """Staff pages look missing to everyone but staff; the others ask for a sign-in first."""
    response = client.get(address)
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 404


def test_staff_links_are_not_in_a_moderators_navigation(client, cast):
    client.force_login(cast["mecfs moderator"])
    navigation = client.get("/mod/").content.decode()
    for label in ("Policy &amp; moderators", "Crisis resources", "Reported messages", "Verifications"):
        assert f">{label}</a>" not in navigation
