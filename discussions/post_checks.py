"""The checks every write of a post runs first: who may write (signed in, active, a
confirmed email, the author for edits), the text fields, and the badge choice.

Shared by the posting services (``discussions.services``), audience changes and
revision purges; the forms check the same shapes for the page, these are the rule.
"""

from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from accounts.models import User
from accounts.selectors import can_act_as_professional
from discussions.markdown import MAX_TITLE_LENGTH, markdown_problem, strip_control_characters
from discussions.models import Discussion, Reply, Visibility

CONTENT_WARNING_MAX_LENGTH = 80

UNVERIFIED_MESSAGE = "Please confirm your email address before you post."
VISIBILITY_CHOICE_MESSAGE = "Choose who can read this: anyone, anyone signed in, or only members of its communities."
ANONYMOUS_WITH_BADGE_MESSAGE = (
    "An anonymous post cannot carry your professional badge: the badge says who you are. "
    "Untick one of the two, then post again. Nothing you typed is lost."
)


# --- Who may write ---------------------------------------------------------------


def has_verified_email(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def require_active_verified(user: User) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied("Please sign in to post.")
    if not has_verified_email(user):
        raise PermissionDenied(UNVERIFIED_MESSAGE)


def require_author(acting_user: User, post: Discussion | Reply) -> None:
    if not (acting_user.is_authenticated and post.author_id == acting_user.pk):
        raise PermissionDenied("Only the author can do that.")


def check_badge_choice(*, as_professional: bool, is_anonymous: bool) -> None:
    # Dropping the badge without a word would post as something the member did not
    # choose; they decide which of the two they meant.
    if as_professional and is_anonymous:
        raise ValidationError({NON_FIELD_ERRORS: ANONYMOUS_WITH_BADGE_MESSAGE})


def may_use_badge(author: User, as_professional: bool) -> bool:
    """Whether to record that the post carries the badge. The badge itself is
    shown only while a verification is active (decided at read time)."""
    if not as_professional:
        return False
    return can_act_as_professional(author)


# --- The text fields ---------------------------------------------------------------


def clean_text(value: str) -> str:
    return strip_control_characters(value or "").strip()


def checked_body(body: str, field: str = "body") -> str:
    body = clean_text(body)
    if not body:
        raise ValidationError({field: "Please write something first."})
    problem = markdown_problem(body)
    if problem:
        raise ValidationError({field: problem})
    return body


def checked_title(title: str) -> str:
    title = " ".join(clean_text(title).split())
    if not title:
        raise ValidationError({"title": "Please give your discussion a title."})
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError({"title": f"Please keep the title under {MAX_TITLE_LENGTH} characters."})
    return title


def checked_content_warning(content_warning: str) -> str:
    content_warning = " ".join(clean_text(content_warning).split())
    if len(content_warning) > CONTENT_WARNING_MAX_LENGTH:
        raise ValidationError(
            {"content_warning": f"Please keep the content warning under {CONTENT_WARNING_MAX_LENGTH} characters."}
        )
    return content_warning


def cleaned_or_every_error(checks: dict[str, Callable[[], str]]) -> dict[str, str]:
    """Run each field's check; one ValidationError naming every field that failed."""
    cleaned: dict[str, str] = {}
    errors: dict[str, list] = {}
    for field, check in checks.items():
        try:
            cleaned[field] = check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def checked_visibility(visibility: str) -> str:
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": [VISIBILITY_CHOICE_MESSAGE]})
    return visibility
