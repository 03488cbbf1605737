"""One access context per viewer: what every access rule needs to know about them.

The rules themselves stay where they are (the visibility rule in
``discussions.selectors``, posting in ``moderation.selectors``); they read the
member-specific facts from here instead of asking the database each time.

The facts are loaded in a few queries and kept in Django's cache under
``access:<shape>:<user id>:<access version>``. ``User.access_version`` is raised in the same
transaction as every change to these facts (``accounts.access_versions``), and the
version is read with the User row before the facts are, so a reader that sees the new
version can only load facts from after the change: no entry holds stale facts under a
version that is still current. The version is never reused, even after a rollback (see
``accounts.access_versions``), so an entry written inside a transaction that rolled back
is never read. Time-bound facts (a mute's end, a verification's expiry) are kept as
times and compared with *now* at check time; community facts (a community's policy)
are not member facts and are read with the community, never from here.
"""

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from threading import Lock

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from accounts.models import Block, ProfessionalVerification, User
from community.models import Membership
from moderation.models import Sanction

Viewer = User | AnonymousUser

# A backstop only: every change raises the version, so an entry is never wrong while it lives.
ACCESS_CACHE_SECONDS = 15 * 60
# Authenticators that are a second factor by themselves; recovery codes only back one up.
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

# Per process: how many times each member's version was raised here. A User object
# loaded before such a raise holds the old version; ``access_for`` reads it again.
_local_raises: dict[int, int] = {}


@dataclass(frozen=True)
class SanctionInForce:
    kind: str
    community_id: int | None
    until: datetime | None

    def in_force(self, now: datetime) -> bool:
        return self.until is None or self.until > now


@dataclass(frozen=True)
class AccessContext:
    """What the access rules know about one viewer. Signed out: ``AccessContext()``.

    ``is_active`` and ``is_staff`` come from the User row of the request, never from the
    cache. Memberships are community ids by status; ``moderated`` are the active ones
    with the moderator role. Sanctions are those not lifted when loaded; ``sanction``
    asks which is in force now.
    """

    user_id: int | None = None
    is_active: bool = False
    is_staff: bool = False
    active: frozenset[int] = frozenset()
    invited: frozenset[int] = frozenset()
    banned: frozenset[int] = frozenset()
    moderated: frozenset[int] = frozenset()
    blocked_by_me: frozenset[int] = frozenset()
    blocked_me: frozenset[int] = frozenset()
    sanctions: tuple[SanctionInForce, ...] = ()
    two_factor: bool = False
    verified_until: tuple[datetime, ...] = field(default=())

    @property
    def is_member(self) -> bool:
        """Signed in with an account that is still active."""
        return self.user_id is not None and self.is_active

    @property
    def is_site_staff(self) -> bool:
        return self.is_member and self.is_staff

    @property
    def known(self) -> frozenset[int]:
        """Communities they belong to or are invited to: the private ones they may know of."""
        return self.active | self.invited

    def moderates_any(self) -> bool:
        return self.is_site_staff or (self.is_member and bool(self.moderated))

    def sanction(self, kind: str, community_ids=None) -> SanctionInForce | None:
        """The sanction of this kind in force now: site-wide (``community_ids`` None) or
        in one of those communities."""
        if self.user_id is None:
            return None
        now = timezone.now()
        for sanction in self.sanctions:
            if sanction.kind != kind or not sanction.in_force(now):
                continue
            if community_ids is None and sanction.community_id is None:
                return sanction
            if community_ids is not None and sanction.community_id in community_ids:
                return sanction
        return None

    def is_verified_professional(self) -> bool:
        """An approved verification that has not expired (nor been revoked) exists now."""
        if not self.is_member:
            return False
        now = timezone.now()
        return any(expires_at > now for expires_at in self.verified_until)


NOBODY = AccessContext()


# Raise when AccessContext changes shape: entries pickled by the previous code are then never read.
CONTEXT_SHAPE = 1


def _cache_key(user_id: int, version: int) -> str:
    return f"access:{CONTEXT_SHAPE}:{user_id}:{version}"


# The contexts this process read last, by cache key. An entry can never be wrong: the key
# holds the version, which every change raises, so a changed member's key is a new one.
# It saves a Redis round trip and an unpickling on most requests.
RECENT_CONTEXTS = 5000
_recent: OrderedDict[str, AccessContext] = OrderedDict()
_recent_lock = Lock()


def forget_recent_contexts() -> None:
    """Forget the contexts kept in this process, as a cleared cache forgets its own: for a
    test database that hands out a rolled-back member's id again."""
    with _recent_lock:
        _recent.clear()


def _remember(key: str, context: AccessContext) -> None:
    with _recent_lock:
        _recent[key] = context
        while len(_recent) > RECENT_CONTEXTS:
            _recent.popitem(last=False)


def _load(user: User) -> AccessContext:
    """The member's facts, in five queries."""
    memberships = list(Membership.objects.filter(user_id=user.pk).values_list("community_id", "status", "role"))

    def with_status(status: str) -> frozenset[int]:
        return frozenset(community for community, found, _ in memberships if found == status)

    blocks = Block.objects.filter(Q(blocker_id=user.pk) | Q(blocked_id=user.pk)).values_list("blocker_id", "blocked_id")
    blocks = list(blocks)
    sanctions = Sanction.objects.filter(user_id=user.pk, lifted_at__isnull=True).exclude(kind=Sanction.Kind.WARNING)
    verifications = ProfessionalVerification.objects.filter(
        applicant_id=user.pk, status=ProfessionalVerification.Status.APPROVED
    )
    return AccessContext(
        user_id=user.pk,
        is_active=user.is_active,
        is_staff=user.is_staff,
        active=with_status(Membership.Status.ACTIVE),
        invited=with_status(Membership.Status.INVITED),
        banned=with_status(Membership.Status.BANNED),
        moderated=frozenset(
            community
            for community, status, role in memberships
            if status == Membership.Status.ACTIVE and role == Membership.Role.MODERATOR
        ),
        blocked_by_me=frozenset(blocked for blocker, blocked in blocks if blocker == user.pk),
        blocked_me=frozenset(blocker for blocker, blocked in blocks if blocked == user.pk),
        sanctions=tuple(
            SanctionInForce(kind, community_id, until)
            for kind, community_id, until in sanctions.values_list("kind", "community_id", "until")
        ),
        two_factor=Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).exists(),
        verified_until=tuple(verifications.values_list("expires_at", flat=True)),
    )


def access_for(viewer: Viewer | None) -> AccessContext:
    """The viewer's access context: kept on the User object for the rest of the request
    (every check shares one load), from the cache, or loaded and cached."""
    if viewer is None or not viewer.is_authenticated:
        return NOBODY
    raises = _local_raises.get(viewer.pk, 0)
    if getattr(viewer, "_access_raises", 0) != raises:
        # Raised in this process since this object was loaded: its version is old.
        viewer.access_version = User.objects.filter(pk=viewer.pk).values_list("access_version", flat=True).first() or 0
        viewer._access_raises = raises
    version = viewer.access_version
    kept = getattr(viewer, "_access_context", None)
    if kept is not None and kept[0] == version:
        context = kept[1]
    else:
        key = _cache_key(viewer.pk, version)
        context = _recent.get(key)
        if context is None:
            context = cache.get(key)
            if context is None:
                context = _load(viewer)
                cache.set(key, context, ACCESS_CACHE_SECONDS)
            _remember(key, context)
    if context.is_active != viewer.is_active or context.is_staff != viewer.is_staff:
        context = replace(context, is_active=viewer.is_active, is_staff=viewer.is_staff)
    viewer._access_context = (version, context)
    return context


def access_refresh(viewer: Viewer) -> None:
    """For a User object that outlives a request (a socket's reader): read its version
    again (one query), so the next ``access_for`` sees changes made in other processes."""
    if viewer.is_authenticated:
        viewer._access_raises = -1


def access_refresh_many(viewers: Iterable[Viewer]) -> None:
    """``access_refresh`` for several User objects at once: their versions in one query."""
    members = [viewer for viewer in viewers if viewer.is_authenticated]
    if not members:
        return
    versions = dict(User.objects.filter(pk__in={member.pk for member in members}).values_list("pk", "access_version"))
    for member in members:
        member.access_version = versions.get(member.pk, 0)
        member._access_raises = _local_raises.get(member.pk, 0)


def note_raised_here(user_ids) -> None:
    """``accounts.access_versions`` raised these members' versions in this process."""
    for user_id in user_ids:
        _local_raises[user_id] = _local_raises.get(user_id, 0) + 1


def stamp_loaded_user(sender, instance: User, **kwargs) -> None:
    """post_init of User (connected in AccountsConfig.ready): which raises in this process
    the object's version already includes."""
    instance._access_raises = _local_raises.get(instance.pk, 0)
