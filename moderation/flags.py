"""A member flags a post they can read; a crisis flag alerts the moderators at once."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from discussions.models import Reply
from discussions.selectors import can_see_discussion, reply_list_visible_to
from moderation.audit import Post, check_guideline, post_lookup
from moderation.crisis_alerts import crisis_alert_enqueue
from moderation.models import Flag
from moderation.selectors import communities_of, discussion_of


def _can_flag(user: User, post: Post) -> bool:

    discussion = discussion_of(post)
    if not can_see_discussion(user, discussion):
        return False
    if isinstance(post, Reply):
        return reply_list_visible_to(user, discussion).filter(pk=post.pk, status=Reply.Status.PUBLISHED).exists()
    return True


def flag_create(*, flagger: User, post: Post, reason: str, guideline: int | None = None, detail: str = "") -> Flag:
    """A member flags a post they can see. One flag per member per post."""
    if not (flagger.is_authenticated and flagger.is_active):
        raise PermissionDenied("Sign in to flag a post.")
    if not _can_flag(flagger, post):
        raise PermissionDenied("No such post.")
    if reason not in Flag.Reason.values:
        raise ValidationError("Choose a reason.")
    detail = " ".join((detail or "").split())[:500]
    if reason == Flag.Reason.GUIDELINE:
        if not guideline:
            raise ValidationError("Say which guideline it breaks.")
        check_guideline(guideline, list(communities_of(post)))
    else:
        guideline = None
    if reason == Flag.Reason.OTHER and not detail:
        raise ValidationError("Tell the moderators what is wrong.")
    try:
        with transaction.atomic():
            if reason == Flag.Reason.CRISIS:
                crisis_alert_enqueue(post, exclude_user_ids=(flagger.pk,))
            return Flag.objects.create(
                flagger=flagger, reason=reason, guideline=guideline, detail=detail, **post_lookup(post)
            )
    except IntegrityError:
        raise ValidationError(
            "You have already flagged this post. You'll see what the moderators decide under My flags."
        ) from None
