"""Professional badges and avatars for templates.

Lists get their badges in one query from ``accounts.selectors.attach_badges`` in the view.

{% load badges %}
{% professional_badge reply.professional_badge compact=True %}  {# beside the name #}
{% professional_badge reply.professional_badge %}  {# label, advice note, conflict of interest #}
{% post_badge discussion %}                       {# a single post (one query) #}
{% avatar user %}
"""

from django import template

from accounts.models import Profile, User
from accounts.selectors import Badge, badge_for_post

register = template.Library()


@register.inclusion_tag("accounts/_badge.html")
def professional_badge(badge: Badge | None, compact: bool = False) -> dict:
    return {"badge": badge, "compact": compact}


@register.inclusion_tag("accounts/_badge.html")
def post_badge(post, compact: bool = False) -> dict:
    """The badge of one discussion or reply; use ``attach_badges`` for lists."""
    return {"badge": badge_for_post(post), "compact": compact}


def initials_of(name: str) -> str:
    letters = [word[0] for word in name.split() if word and word[0].isalnum()]
    return "".join(letters[:2]).upper() or (name[:1].upper() if name else "?")


@register.inclusion_tag("accounts/_avatar.html")
def avatar(user: User, profile: Profile | None = None, size: str = "small") -> dict:
    """The member's picture or their initials. Pass ``profile`` (or select_related
    ``profile``) in lists to avoid a query per member."""
    if profile is None:
        profile = getattr(user, "profile", None) if user is not None else None
    return {
        "member": user,
        "profile": profile,
        "initials": initials_of(user.public_name) if user is not None else "?",
        "size": size,
    }
