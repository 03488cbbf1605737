"""Who a socket belongs to, found on the thread that admits it.

channels' ``AuthMiddlewareStack`` resolves ``scope["user"]`` in a thread hop of its own
before the consumer runs, and the consumer then hops again to decide admission. Here the
middleware only marks the user as unresolved, and the consumer reads the session and the
user row in the same hop as its admission (``socket_user``): one hop per handshake.
Reading ``scope["user"]`` before that raises, as channels' own unresolved user does.
"""

from collections.abc import Callable

from channels.auth import UserLazyObject
from channels.middleware import BaseMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare
from django.utils.functional import empty


class SocketUserMiddleware(BaseMiddleware):
    """``scope["user"]`` left for the consumer to resolve with ``socket_user``."""

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        scope = dict(scope)
        scope["user"] = UserLazyObject()
        return await super().__call__(scope, receive, send)


def SocketAuthMiddlewareStack(inner: Callable) -> CookieMiddleware:
    return CookieMiddleware(SessionMiddleware(SocketUserMiddleware(inner)))


def socket_user(scope: dict) -> AbstractBaseUser | AnonymousUser:
    """The socket's user, read once (call it on a database thread): the session's user when
    the session still signs them in, otherwise ``AnonymousUser``. As with channels'
    middleware, a session whose hash no longer matches (a password changed since) is
    flushed, and an inactive account signs nobody in (the backend refuses it)."""
    user = scope["user"]
    if user._wrapped is empty:
        user._wrapped = _session_user(scope["session"])
    return user._wrapped


def _session_user(session: SessionBase) -> AbstractBaseUser | AnonymousUser:
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user = load_backend(backend_path).get_user(user_id)
    if user is None:
        return AnonymousUser()
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        session.flush()
        return AnonymousUser()
    return user
