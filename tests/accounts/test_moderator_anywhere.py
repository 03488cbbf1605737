"""The one ``is_moderator_anywhere``: menus, the moderation pages, crisis emails and two-factor all ask it."""

from django.contrib.auth.models import AnonymousUser

from accounts.selectors import is_moderator_anywhere, is_privileged
from community.models import Membership


def test_staff_and_active_moderators_count_and_no_one_else(
    staff, moderator, member, other_member, community_factory, add_member
):
    eds = community_factory("eds")
    add_member(moderator, eds, role=Membership.Role.MODERATOR)
    add_member(member, eds)
    add_member(other_member, eds, role=Membership.Role.MODERATOR, status=Membership.Status.BANNED)

    assert is_moderator_anywhere(staff)
    assert is_moderator_anywhere(moderator) and is_privileged(moderator)
    assert not is_moderator_anywhere(member)
    assert not is_moderator_anywhere(other_member)
    assert not is_moderator_anywhere(AnonymousUser())


def test_a_deactivated_moderator_does_not_count(moderator, community_factory, add_member):
    add_member(moderator, community_factory("eds"), role=Membership.Role.MODERATOR)
    moderator.is_active = False
    moderator.save(update_fields=["is_active"])

    assert not is_moderator_anywhere(moderator)
