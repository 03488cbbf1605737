"""Ending members' sessions: for account deletion, deactivated accounts and expired IP records.

A signed-in session is a Django session (the cached_db engine: read from the cache, kept in the database
so they can be searched);
allauth keeps a ``UserSession`` row beside each one its login made, with the member's IP address and user
agent, listed on their sessions page. Ending a session deletes both, and tells the member's open sockets:
those on the ended session close.
"""

from collections.abc import Collection
from datetime import datetime
from importlib import import_module

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.utils import timezone

from discussions import events

# (member id, session key)
SignedIn = tuple[int, str]


def session_list_of(user_ids: Collection[int], *, now: datetime | None = None) -> list[SignedIn]:
    """Every session signed in as one of these members: those allauth tracks, and any other live one
    carrying their id (made before usersessions, or by a login allauth did not see, such as the test
    client's). The second kind is found by reading every live session, so pass the few members meant."""
    now = now or timezone.now()
    tracked = list(UserSession.objects.filter(user_id__in=user_ids).values_list("user_id", "session_key"))
    if not user_ids:
        return tracked
    known = {key for _, key in tracked}
    members = {str(user_id): user_id for user_id in user_ids}
    untracked = []
    for session in Session.objects.filter(expire_date__gt=now).iterator():
        member = members.get(str(session.get_decoded().get(SESSION_KEY)))
        if member is not None and session.session_key not in known:
            untracked.append((member, session.session_key))
    return tracked + untracked


def sessions_end(sessions: Collection[SignedIn], *, now: datetime | None = None) -> int:
    """End these sessions: their Django sessions and allauth's records go, and the owners' sockets
    on one that was still live are told. Returns how many were ended."""
    now = now or timezone.now()
    owners = {key: user_id for user_id, key in sessions}
    if not owners:
        return 0
    live = sorted(
        Session.objects.filter(session_key__in=owners, expire_date__gt=now).values_list("session_key", flat=True)
    )
    UserSession.objects.filter(session_key__in=owners).delete()
    Session.objects.filter(session_key__in=owners).delete()
    _forget_cached(owners)
    for key in live:
        events.access_changed(user_id=owners[key], ended_session_key=key)
    return len(owners)


def _forget_cached(session_keys: Collection[str]) -> None:
    """Drop the cached copies of deleted sessions, or the cache would go on signing them in."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "cache_key_prefix"):
        return
    cache = caches[settings.SESSION_CACHE_ALIAS]
    cache.delete_many([store.cache_key_prefix + key for key in session_keys])
