"""Who may hold a discussion socket, and as which audience.

The one visibility rule (``discussions.selectors``) decides; this module adds the
session check a long-lived socket needs and the limits on how many sockets one
member or one address may hold. Limits are module constants so tests (and
operators) can tighten them; the consumer reads them as ``admission.NAME``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare

from accounts.models import User
from discussions.selectors import can_moderate, discussion_for_socket, is_signed_in_member

MAX_SOCKETS_PER_MEMBER = 20
# Signed-out visitors have no account to count by, so their sockets are counted per
# client address. Higher than a member's cap: one address may be a household, a
# ward or a library behind one NAT.
MAX_VISITOR_SOCKETS_PER_ADDRESS = 30

CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY = 4429


class Audience:
    VISITOR = "visitor"
    MEMBER = "member"
    MODERATOR = "moderator"
    AUTHOR = "author"  # the reply's own author: sees their anonymous or held reply as theirs


@dataclass
class Admission:
    audience: str
    locked: bool
    last_number: int


def admission(user, discussion_id: int) -> Admission | None:
    """The one visibility rule decides; missing and forbidden both give None."""
    discussion = discussion_for_socket(user, discussion_id)
    if discussion is None:
        return None
    if not is_signed_in_member(user):
        audience = Audience.VISITOR
    elif can_moderate(user, discussion):
        audience = Audience.MODERATOR
    else:
        audience = Audience.MEMBER
    return Admission(audience=audience, locked=discussion.is_locked, last_number=discussion.last_reply_number)


# Re-checks are the backstop for sessions ended without a signal (rows deleted by hand or by
# another tool), so they read the record, the database, never a cached copy that outlives its row.
RECORD_OF = {"django.contrib.sessions.backends.cached_db": "django.contrib.sessions.backends.db"}


def session_belongs_to(user, session_key: str | None) -> bool:
    """Whether the session still signs this user in: not signed out, not ended
    elsewhere, and not from before a password change."""
    if not session_key:
        return False
    engine = RECORD_OF.get(settings.SESSION_ENGINE, settings.SESSION_ENGINE)
    data = import_module(engine).SessionStore(session_key).load()
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    return constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())


def still_allowed(user_id: int | None, session_key: str | None, discussion_id: int) -> Admission | None:
    """Re-check a socket from scratch: account, session and the visibility rule."""
    if user_id is None:
        return admission(AnonymousUser(), discussion_id)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not session_belongs_to(user, session_key):
        return None
    return admission(user, discussion_id)
