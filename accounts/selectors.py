"""Reads about members: profiles, professional verification, badges and two-factor.

A badge is derived at read time from the verification table, never copied onto
posts, so revocation and expiry take it off every page at once.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from accounts.access import access_for
from accounts.models import (
    AccountNotice,
    Block,
    DataExport,
    ProfessionalVerification,
    Profile,
    User,
    VerificationEvent,
    VerificationEvidence,
)
from community.models import Community
from community.selectors import community_list_visible_to
from discussions.models import Reply

Viewer = User | AnonymousUser


@dataclass(frozen=True)
class Badge:
    """What a verified reply shows beside its author's name."""

    profession: str
    country: str
    url: str
    conflict_of_interest: str = ""

    @property
    def label(self) -> str:
        return f"Verified {self.profession} · {self.country}"


# --- Profiles ----------------------------------------------------------------


def member_get_or_404(username: str) -> User:
    return get_object_or_404(User, username=username, is_active=True)


def member_find(username: str) -> User | None:
    """The active member with this username, however its letters are cased (what a
    moderator types to invite someone)."""
    return User.objects.filter(username__iexact=username, is_active=True).first()


def audience_allows(audience: str, *, viewer: Viewer, owner: User) -> bool:
    """Whether a profile part with this audience is shown to the viewer."""
    if viewer.is_authenticated and viewer.pk == owner.pk:
        return True
    if audience == Profile.Audience.EVERYONE:
        return True
    if audience == Profile.Audience.MEMBERS:
        return viewer.is_authenticated and viewer.is_active
    return False


def profile_conditions_visible_to(profile: Profile, viewer: Viewer) -> QuerySet[Community]:
    """The conditions a viewer may see on a profile: per the member's choice, and
    never a private community the viewer may not know of."""
    if not audience_allows(profile.conditions_visibility, viewer=viewer, owner=profile.user):
        return Community.objects.none()
    return profile.conditions.filter(pk__in=community_list_visible_to(viewer).values("pk")).order_by("slug")


def notice_list_unseen(user: User) -> QuerySet[AccountNotice]:
    return AccountNotice.objects.filter(user=user, seen_at__isnull=True)


def low_energy_member_ids(user_ids: Iterable[int]) -> set[int]:
    """Which of these members have low-energy mode on (one query; none for no ids)."""
    ids = set(user_ids)
    if not ids:
        return set()
    return set(User.objects.filter(pk__in=ids, low_energy=True).values_list("pk", flat=True))


# --- Verification --------------------------------------------------------------


def _active_verifications(now: datetime | None = None) -> QuerySet[ProfessionalVerification]:
    return ProfessionalVerification.objects.filter(
        status=ProfessionalVerification.Status.APPROVED,
        expires_at__gt=now or timezone.now(),
    )


def is_verified_professional(user: Viewer | None) -> bool:
    """An approved verification that has neither expired nor been revoked exists now
    (from the member's access context: no query on a warm cache)."""
    return access_for(user).is_verified_professional()


def active_professional_ids(now: datetime | None = None) -> QuerySet:
    """A subquery of the ids of members verified right now (or at ``now``), for filters and
    annotations (``Reply.objects.filter(author_id__in=active_professional_ids())``)."""
    return _active_verifications(now).filter(applicant__is_active=True).values("applicant_id")


def verified_reply_exists(discussion_ref: str = "pk", *, now: datetime | None = None) -> Exists:
    """An expression for "a verified clinician replied": a published, non-anonymous reply
    posted as a professional by a member verified now. Annotate a discussion queryset
    (already limited by the visibility rule) with it:
    ``discussions.annotate(verified_replied=verified_reply_exists())``."""
    return Exists(
        Reply.objects.filter(
            discussion_id=OuterRef(discussion_ref),
            as_professional=True,
            is_anonymous=False,
            status=Reply.Status.PUBLISHED,
            author_id__in=active_professional_ids(now),
        )
    )


def active_verification_for(user: Viewer | None) -> ProfessionalVerification | None:
    if user is None or not (user.is_authenticated and user.is_active):
        return None
    return _active_verifications().filter(applicant=user).order_by("-expires_at").first()


def verification_open_for(user: User) -> ProfessionalVerification | None:
    return (
        ProfessionalVerification.objects.filter(applicant=user, status__in=ProfessionalVerification.OPEN_STATES)
        .prefetch_related("evidence")
        .first()
    )


def verification_latest_for(user: User) -> ProfessionalVerification | None:
    return ProfessionalVerification.objects.filter(applicant=user).order_by("-created_at", "-pk").first()


def verification_queue() -> QuerySet[ProfessionalVerification]:
    """Open applications, oldest first, for staff."""
    return (
        ProfessionalVerification.objects.filter(status__in=ProfessionalVerification.OPEN_STATES)
        .select_related("applicant")
        .order_by("created_at", "pk")
    )


def verification_waiting_count() -> int:
    """Applications waiting for a staff decision (not those waiting on the applicant)."""
    return ProfessionalVerification.objects.filter(status=ProfessionalVerification.Status.PENDING).count()


def verification_recently_decided(limit: int = 20) -> QuerySet[ProfessionalVerification]:
    return (
        ProfessionalVerification.objects.exclude(status__in=ProfessionalVerification.OPEN_STATES)
        .select_related("applicant", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def verification_get_for_staff_or_404(pk: int) -> ProfessionalVerification:
    return get_object_or_404(ProfessionalVerification.objects.select_related("applicant", "decided_by"), pk=pk)


def verification_events(application: ProfessionalVerification) -> QuerySet[VerificationEvent]:
    return application.events.select_related("actor")


def evidence_get_for_staff_or_404(*, application_id: int, evidence_id: int) -> VerificationEvidence:
    """An evidence file still on disk; once the application is decided it is gone (404)."""
    return get_object_or_404(
        VerificationEvidence.objects.select_related("application"),
        pk=evidence_id,
        application_id=application_id,
        deleted_at__isnull=True,
    )


def badge_url(username: str) -> str:
    return reverse("accounts:professional", kwargs={"username": username})


def badges_for_authors(user_ids: Iterable[int | None]) -> dict[int, Badge]:
    """Badges of the given members who hold an active verification, in one query."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    verifications = (
        _active_verifications()
        .filter(applicant_id__in=ids, applicant__is_active=True)
        .select_related("applicant", "applicant__profile")
        .order_by("expires_at")
    )
    badges: dict[int, Badge] = {}
    # Ordered by expiry, so the longest-lasting verification wins.
    for verification in verifications:
        applicant = verification.applicant
        profile = getattr(applicant, "profile", None)
        badges[applicant.pk] = Badge(
            profession=verification.get_profession_display().lower(),
            country=verification.country,
            url=badge_url(applicant.username),
            conflict_of_interest=profile.conflict_of_interest if profile else "",
        )
    return badges


def _may_carry_badge(post) -> bool:
    return bool(post.as_professional) and not post.is_anonymous and post.author_id is not None


def badge_for_post(post) -> Badge | None:
    """The badge a discussion or reply shows: only when its author chose to post as a
    professional, the post is not anonymous, and the author is verified right now."""
    if not _may_carry_badge(post):
        return None
    return badges_for_authors([post.author_id]).get(post.author_id)


def badges_for_posts(posts: Iterable) -> dict[int, Badge]:
    """``{id(post): badge}`` for the posts of a page, in at most one query."""
    posts = list(posts)
    badges = badges_for_authors(post.author_id for post in posts if _may_carry_badge(post))
    found = {}
    for post in posts:
        if _may_carry_badge(post) and post.author_id in badges:
            found[id(post)] = badges[post.author_id]
    return found


def attach_badges(posts: Iterable) -> list:
    """The posts as a list, each with ``professional_badge`` set (a Badge or None), in one query."""
    posts = list(posts)
    badges = badges_for_posts(posts)
    for post in posts:
        post.professional_badge = badges.get(id(post))
    return posts


# --- Two-factor ---------------------------------------------------------------


def has_two_factor(user: Viewer | None) -> bool:
    return access_for(user).two_factor


def is_moderator_anywhere(user: Viewer) -> bool:
    """Staff, or an active moderator of at least one community: who sees the moderation tools."""
    return access_for(user).moderates_any()


def is_privileged(user: Viewer) -> bool:
    """Staff, moderators and verified professionals: they must use two-factor to act as such."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_staff or is_moderator_anywhere(user) or is_verified_professional(user)


def can_act_as_professional(user: Viewer | None) -> bool:
    """Whether a post may be marked "as a professional": verified now, and signed in with two-factor."""
    return is_verified_professional(user) and has_two_factor(user)


def is_signed_in_member(viewer: Viewer) -> bool:
    """Signed in with an account that is still active (suspensions and bans aside)."""
    return viewer.is_authenticated and viewer.is_active


def is_low_energy(viewer: Viewer | None) -> bool:
    """Whether the viewer reads in low-energy mode (no query: the flag is on the User row)."""
    return viewer is not None and viewer.is_authenticated and viewer.low_energy


def is_site_staff(viewer: Viewer) -> bool:
    return is_signed_in_member(viewer) and viewer.is_staff


# --- What a profile page lists ---------------------------------------------------

PROFILE_LIST_LENGTH = 20


def profile_for_display(user: User) -> Profile:
    """The member's profile, or an unsaved one with the defaults (viewing never writes)."""
    return Profile.objects.filter(user=user).first() or Profile(user=user)


# --- Blocking --------------------------------------------------------------------


def blocked_ids_for(viewer: Viewer) -> set[int]:
    """Ids of the members the viewer blocked (from their access context; nothing for visitors)."""
    context = access_for(viewer)
    return set(context.blocked_by_me) if context.is_member else set()


def has_blocked(blocker: Viewer, blocked: Viewer) -> bool:
    if not (blocker.is_authenticated and blocked.is_authenticated):
        return False
    return blocked.pk in access_for(blocker).blocked_by_me


def block_list_made_by(user: User) -> QuerySet[Block]:
    """The members ``user`` blocked, most recent first (their privacy settings)."""
    return Block.objects.filter(blocker=user).select_related("blocked").order_by("-created_at")


# --- Data exports ------------------------------------------------------------------


def data_export_list_for(user: User) -> QuerySet[DataExport]:
    return DataExport.objects.filter(user=user)


def data_export_get_own_or_404(user: User, pk: int) -> DataExport:
    """Only the member who asked for an export may see or download it."""
    return get_object_or_404(DataExport, pk=pk, user=user)
