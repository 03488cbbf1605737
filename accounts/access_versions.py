"""Raising members' access versions (see ``accounts.access``): the write side.

Every change to what the access context holds raises the version of each member it is
about, inside the change's transaction. Receivers on the models (connected in
``AccountsConfig.ready``) cover every save and delete of a single row, queryset deletes
included (Django sends ``post_delete`` for each row when a receiver listens); a
queryset ``.update()`` or ``bulk_create`` on those models must call ``access_raise``
next to it.

The new version is the larger of the old one plus one and the clock in microseconds,
so a version raised in a transaction that rolled back is never handed out again: a
context cached under it, with facts that never committed, is never read.
"""

import time

from allauth.mfa.models import Authenticator
from django.db.models import F, Value
from django.db.models.functions import Greatest

from accounts.access import note_raised_here
from accounts.models import Block, ProfessionalVerification, User
from community.models import Membership
from moderation.models import Sanction


def access_raise(*user_ids: int | None) -> None:
    """Raise these members' access versions (ids of deleted or no members are skipped)."""
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return
    now = Value(time.time_ns() // 1000)
    User.objects.filter(pk__in=ids).update(access_version=Greatest(F("access_version") + 1, now))
    note_raised_here(ids)


def _about_member(sender, instance, **kwargs) -> None:
    access_raise(instance.user_id)


def _about_block(sender, instance: Block, **kwargs) -> None:
    access_raise(instance.blocker_id, instance.blocked_id)


def _about_verification(sender, instance: ProfessionalVerification, **kwargs) -> None:
    access_raise(instance.applicant_id)


RECEIVERS = [
    (Membership, _about_member),
    (Sanction, _about_member),
    (Block, _about_block),
    (ProfessionalVerification, _about_verification),
    (Authenticator, _about_member),
]
