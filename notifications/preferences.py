"""What each member wants to hear about: a preference per kind of notification, the
defaults where they chose nothing, and the hashtags they follow.

A kind in ``ALWAYS_ON`` is a duty, not a preference: no setting or link turns it off.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import available_timezones

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from accounts.selectors import is_moderator_anywhere
from community.models import Community
from notifications.models import DigestTime, HashtagFollow, Notification, NotificationPreference

Kind = Notification.Kind
Email = NotificationPreference.Email


@dataclass(frozen=True)
class Preference:
    in_app: bool
    email: str

    @property
    def wants_anything(self) -> bool:
        return self.in_app or self.email != Email.OFF


DEFAULTS: dict[str, Preference] = {
    Kind.REPLY_TO_DISCUSSION: Preference(in_app=True, email=Email.DIGEST),
    Kind.REPLY_TO_REPLY: Preference(in_app=True, email=Email.DIGEST),
    Kind.MENTION: Preference(in_app=True, email=Email.DIGEST),
    # Following a busy hashtag can be a flood; members switch this on deliberately.
    Kind.FOLLOWED_HASHTAG: Preference(in_app=False, email=Email.OFF),
    Kind.VERIFICATION_DECISION: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.MODERATION_DECISION: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.JOIN_REQUEST_DECISION: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.CRISIS_ALERT: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.ROLE_CHANGE: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.CRISIS_ESCALATION: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.VERIFICATION_APPLICATION: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.APPEAL_RECEIVED: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.QUEUE_WAITING: Preference(in_app=True, email=Email.IMMEDIATE),
    # The email says only who wrote, never what: the words stay behind the sign-in.
    Kind.PRIVATE_MESSAGE: Preference(in_app=True, email=Email.IMMEDIATE),
    Kind.MESSAGE_REPORT: Preference(in_app=True, email=Email.IMMEDIATE),
}
# Someone may be in danger: a moderator's duty, not a preference. These go out at
# once by bell and email whatever the member chose for everything else, and no
# setting or one-click link turns them off.
ALWAYS_ON = frozenset({Kind.CRISIS_ALERT, Kind.CRISIS_ESCALATION, Kind.MESSAGE_REPORT})
SWITCHABLE_KINDS = tuple(kind for kind in Kind.values if kind not in ALWAYS_ON)
# Work waiting for moderators or staff: switchable like any other kind, but only offered on the
# settings page to someone who moderates (a member has nothing to choose there).
MODERATOR_KINDS = frozenset({Kind.VERIFICATION_APPLICATION, Kind.APPEAL_RECEIVED, Kind.QUEUE_WAITING})


# --- Preferences ----------------------------------------------------------------------


def preferences_for(user_ids: Iterable[int], kind: str) -> dict[int, Preference]:
    """Each member's preference for one kind (the default where they chose nothing), in one query."""
    ids = set(user_ids)
    if kind in ALWAYS_ON:
        return dict.fromkeys(ids, DEFAULTS[kind])
    found = {
        row.user_id: Preference(in_app=row.in_app, email=row.email)
        for row in NotificationPreference.objects.filter(user_id__in=ids, kind=kind)
    }
    return {user_id: found.get(user_id, DEFAULTS[kind]) for user_id in ids}


def preference_kinds_for(user: User) -> list[str]:
    """The kinds the settings page offers this member, and the only ones saving it may change:
    a member who does not moderate keeps the defaults for moderators' kinds."""
    if is_moderator_anywhere(user):
        return list(SWITCHABLE_KINDS)
    return [kind for kind in SWITCHABLE_KINDS if kind not in MODERATOR_KINDS]


def preference_list(user: User) -> list[tuple[str, str, Preference]]:
    """``(kind, label, preference)`` for every kind the member can choose about, for the settings page."""
    chosen = {row.kind: Preference(row.in_app, row.email) for row in user.notification_preferences.all()}
    offered = preference_kinds_for(user)
    return [(kind, label, chosen.get(kind, DEFAULTS[kind])) for kind, label in Kind.choices if kind in offered]


def preference_set(*, user: User, kind: str, in_app: bool, email: str) -> NotificationPreference:
    if kind not in SWITCHABLE_KINDS or email not in Email.values:
        raise ValueError("unknown notification kind or email choice")
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"in_app": in_app, "email": email}
    )
    return preference


def email_unsubscribe(*, user: User, kinds: Iterable[str]) -> None:
    """Stop email for these kinds (what the one-click link does); in-app stays as it was."""
    kinds = [kind for kind in kinds if kind not in ALWAYS_ON]
    for kind in kinds:
        current = preferences_for([user.pk], kind)[user.pk]
        preference_set(user=user, kind=kind, in_app=current.in_app, email=Email.OFF)
    # Nothing already waiting for these kinds may still go out.
    Notification.objects.filter(
        recipient=user,
        kind__in=list(kinds),
        email_status__in=(
            Notification.EmailStatus.IMMEDIATE,
            Notification.EmailStatus.DIGEST,
            Notification.EmailStatus.HELD,
        ),
    ).update(email_status=Notification.EmailStatus.SKIPPED)


# --- When the daily digest goes out ------------------------------------------------------

DEFAULT_DIGEST_HOUR = 8
DEFAULT_DIGEST_TIME_ZONE = "UTC"
TIME_ZONES = tuple(sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC"))


@dataclass(frozen=True)
class DigestHour:
    hour: int
    time_zone: str


def digest_time_for(user_id: int) -> DigestHour:
    row = DigestTime.objects.filter(user_id=user_id).only("hour", "time_zone").first()
    if row is None:
        return DigestHour(DEFAULT_DIGEST_HOUR, DEFAULT_DIGEST_TIME_ZONE)
    return DigestHour(row.hour, row.time_zone)


def digest_time_set(*, user: User, hour: int, time_zone: str) -> DigestTime:
    if not 0 <= hour <= 23 or time_zone not in TIME_ZONES:
        raise ValueError("the digest hour is 0 to 23, in a known time zone")
    row, _ = DigestTime.objects.update_or_create(user=user, defaults={"hour": hour, "time_zone": time_zone})
    return row


# --- Followed hashtags ----------------------------------------------------------------


def hashtag_follow(*, user: User, community: Community) -> HashtagFollow:
    follow, _ = HashtagFollow.objects.get_or_create(user=user, community=community)
    return follow


def hashtag_unfollow(*, user: User, community: Community) -> None:
    HashtagFollow.objects.filter(user=user, community=community).delete()


def is_following(user: User | AnonymousUser, community: Community) -> bool:
    return user.is_authenticated and HashtagFollow.objects.filter(user=user, community=community).exists()
