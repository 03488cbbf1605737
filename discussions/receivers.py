"""Account events elsewhere that must close live sockets.

Each one publishes ``access_changed``; every process re-checks that member's
sockets (session still there, password unchanged, account active, discussion
still visible) and closes the ones that fail.
"""

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from discussions import events

User = get_user_model()


@receiver(user_logged_out, dispatch_uid="live_logged_out")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        session = getattr(request, "session", None)
        events.access_changed(user_id=user.pk, ended_session_key=getattr(session, "session_key", None))


@receiver(password_changed, dispatch_uid="live_password_changed")
@receiver(password_reset, dispatch_uid="live_password_reset")
@receiver(password_set, dispatch_uid="live_password_set")
def _password_changed(sender, request, user, **kwargs) -> None:
    events.access_changed(user_id=user.pk)


@receiver(post_save, sender=User, dispatch_uid="live_user_deactivated")
def _deactivated(sender, instance, created, **kwargs) -> None:
    # Any save of an inactive account re-checks its sockets; there are none
    # after the first, so repeats cost nothing.
    if not created and not instance.is_active:
        events.access_changed(user_id=instance.pk)
