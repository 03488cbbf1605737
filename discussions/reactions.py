"""Reactions: one click of support on a discussion or a reply, from a small fixed set.

Who may add one is ``selectors.reaction_refusal`` (whoever may reply, on a published
post that is not their own); who sees them is ``selectors.reaction_counts_for`` and
``reaction_list_visible_to``. Reactions rank nothing by default: the thread keeps its
conversation order, and "most thanked first" is only ever the reader's choice.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from discussions import events
from discussions.models import Discussion, Reaction, Reply
from discussions.selectors import can_see_discussion, reaction_refusal, reply_list_visible_to

UNKNOWN_KIND = "Choose one of: me too, thank you, sending strength."


@dataclass(frozen=True)
class ReactionToggled:
    kind: str
    reacted: bool  # True: the member's reaction is there now; False: it was taken back


def _can_still_read(user: User, post: Discussion | Reply) -> bool:
    if isinstance(post, Reply):
        return reply_list_visible_to(user, post.discussion).filter(pk=post.pk).exists()
    return can_see_discussion(user, post)


def reaction_toggle(*, user: User, post: Discussion | Reply, kind: str) -> ReactionToggled:
    """Add the member's ``kind`` reaction to ``post``, or take it back if it is there.

    Raises ValidationError for an unknown kind, Discussion.DoesNotExist when the member
    may not (or no longer) read the post (forbidden looks like missing), and
    PermissionDenied with the reason (``reaction_refusal``) when they may read it but
    not add a reaction. Taking one back needs only that they can still read the post:
    a member muted, or on a locked discussion, can always withdraw their name.
    Twice at once (a double click) leaves one reaction, never an error.
    """
    if kind not in Reaction.Kind.values:
        raise ValidationError({"kind": UNKNOWN_KIND})
    is_reply = isinstance(post, Reply)
    discussion = post.discussion if is_reply else post
    target = {"reply": post} if is_reply else {"discussion": post}
    with transaction.atomic():
        if not (user.is_authenticated and user.is_active) or not _can_still_read(user, post):
            raise Discussion.DoesNotExist("No such post.")
        taken_back, _ = Reaction.objects.filter(user=user, kind=kind, **target).delete()
        if taken_back:
            reacted = False
        else:
            refusal = reaction_refusal(user, discussion, post if is_reply else None)
            if refusal is not None:
                raise PermissionDenied(refusal)
            try:
                with transaction.atomic():
                    Reaction.objects.create(user=user, kind=kind, **target)
            except IntegrityError:
                pass  # the same click, a moment earlier: it is there, as asked
            reacted = True
        events.reactions_changed(discussion_id=discussion.pk, number=post.number if is_reply else None)
    return ReactionToggled(kind=kind, reacted=reacted)
