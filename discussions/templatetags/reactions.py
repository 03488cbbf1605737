"""The reactions under a post: ``{% reaction_bar bar %}`` shows a
``discussions.reaction_bars.ReactionBar`` with ``_reactions.html``.

A bar's HTML is a function of the bar alone (a frozen dataclass: counts, the reader's
own kinds, whether they may react), so each different bar is rendered once per process
and remembered; a page of fifty replies mostly shows bars already seen. The one part
that belongs to the request, its CSRF token, goes in afterwards.
"""

from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from discussions.reaction_bars import ReactionBar

register = template.Library()

# Rendered where the request's token goes; the bar holds no member's words, so nothing
# else in it can look like this.
TOKEN_SLOT = "csrf-token-slot-3f9c1e"
REMEMBERED_BARS = 4096


@lru_cache(maxsize=REMEMBERED_BARS)
def _bar_html(bar: ReactionBar, *, with_token: bool) -> str:
    return render_to_string("discussions/_reactions.html", {"bar": bar, "csrf_token": TOKEN_SLOT if with_token else ""})


@register.simple_tag(takes_context=True)
def reaction_bar(context: template.Context, bar: ReactionBar) -> SafeString:
    # Only forms need the token, and asking for it gives a visitor's page a cookie. Without
    # a request (live frames) there is none: static/js/reactions.js adds the page's.
    token = context.get("csrf_token") if bar.can_react else None
    html = _bar_html(bar, with_token=bool(token))
    if token:
        html = html.replace(TOKEN_SLOT, str(token))
    return mark_safe(html)  # noqa: S308 - our template's output, and a token of letters and digits
