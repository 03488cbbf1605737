"""Writes about a member's own account: their profile, avatar, notices seen and blocks.

Professional verification, which staff decide, has its own module (``accounts.verification``);
data export and account deletion too (``accounts.data_export``, ``accounts.account_deletion``).
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import AccountNotice, Block, Profile, User
from accounts.uploads import process_avatar
from community.models import Community
from discussions import events

# --- Profiles ----------------------------------------------------------------


def profile_get_or_create(user: User) -> Profile:
    """The member's profile; the first call creates it with private defaults
    (pages that only display a profile use ``selectors.profile_for_display``)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str,
    role: str,
    pronouns: str,
    bio: str,
    bio_visibility: str,
    conditions: Iterable[Community],
    conditions_visibility: str,
    conflict_of_interest: str = "",
    text_size: str | None = None,
    slow_to_reply: bool | None = None,
) -> Profile:
    """Save what a member chose about how they appear. Badge-related facts are not
    accepted here: only the verification workflow grants a badge."""
    profile = profile_get_or_create(user)
    shown_before = (user.display_name, user.slow_to_reply)
    user.display_name = display_name.strip()
    update_fields = ["display_name"]
    if text_size is not None:
        if text_size not in User.TextSize.values:
            raise ValidationError({"text_size": "Choose standard, larger or largest text."})
        user.text_size = text_size
        update_fields.append("text_size")
    if slow_to_reply is not None:
        user.slow_to_reply = slow_to_reply
        update_fields.append("slow_to_reply")
    user.save(update_fields=update_fields)
    profile.role = role
    profile.pronouns = pronouns.strip()
    profile.bio = bio.strip()
    profile.bio_visibility = bio_visibility
    profile.conditions_visibility = conditions_visibility
    profile.conflict_of_interest = conflict_of_interest.strip()
    profile.full_clean(exclude=["user", "avatar"])
    profile.save()
    profile.conditions.set(conditions)
    if (user.display_name, user.slow_to_reply) != shown_before:
        events.people_shown_changed()  # what their posts show of them, on pages kept for visitors
    return profile


def avatar_set(*, user: User, upload: UploadedFile | None = None, use_initials: bool = False) -> Profile:
    """Use generated initials, or check, shrink and re-encode an uploaded image.

    Raises ValidationError with a message for the member when the upload is refused.
    """
    profile = profile_get_or_create(user)
    old_file = profile.avatar.name if profile.avatar else ""
    if use_initials or upload is None:
        profile.avatar_kind = Profile.AvatarKind.INITIALS
        profile.avatar = ""
    else:
        checked = process_avatar(upload)
        profile.avatar.save(f"avatar.{checked.extension}", ContentFile(checked.content), save=False)
        profile.avatar_kind = Profile.AvatarKind.UPLOAD
    profile.save(update_fields=["avatar", "avatar_kind", "updated_at"])
    if old_file and old_file != profile.avatar.name:
        profile.avatar.storage.delete(old_file)
    return profile


def low_energy_set(*, user: User, enabled: bool) -> None:
    """Switch low-energy mode on or off for the member. Setting it as it already is
    changes nothing."""
    if user.low_energy == enabled:
        return
    user.low_energy = enabled
    user.save(update_fields=["low_energy"])


# --- Notices ------------------------------------------------------------------------


def notices_mark_seen(*, user: User) -> None:
    AccountNotice.objects.filter(user=user, seen_at__isnull=True).update(seen_at=timezone.now())


# --- Blocking ---------------------------------------------------------------------


def block_create(*, blocker: User, blocked: User) -> Block:
    """``blocker`` blocks ``blocked``. Blocking twice is the same as once."""
    if not (blocker.is_authenticated and blocker.is_active):
        raise PermissionDenied("Sign in to block a member.")
    if blocker.pk == blocked.pk:
        raise ValidationError("You cannot block yourself.")
    block, _ = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    return block


def block_delete(*, blocker: User, blocked: User) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()
