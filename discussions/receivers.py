"""Account events elsewhere that must close live sockets, and changes that make cached
lists of related discussions out of date.

Each account event publishes ``access_changed``; every process re-checks that member's
sockets (session still there, password unchanged, account active, discussion
still visible) and closes the ones that fail.
"""

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from community.models import Community
from discussions import events
from discussions.models import Discussion, DiscussionTag
from discussions.related import related_forget_all

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


@receiver(post_save, sender=Discussion, dispatch_uid="related_discussion_saved")
@receiver(post_delete, sender=Discussion, dispatch_uid="related_discussion_deleted")
@receiver(post_save, sender=DiscussionTag, dispatch_uid="related_tag_saved")
@receiver(post_delete, sender=DiscussionTag, dispatch_uid="related_tag_deleted")
@receiver(post_save, sender=Community, dispatch_uid="related_community_saved")
def _related_out_of_date(sender, **kwargs) -> None:
    # A title, status, audience, hashtag or community policy may have changed; queryset
    # updates of those fields call related_forget_all themselves.
    related_forget_all()
