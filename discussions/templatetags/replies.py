"""``{% reply_article reply %}``: a reply prepared by ``present_replies`` and
``present_reactions``, as ``_reply.html`` shows it, from ``discussions.articles``."""

from django import template
from django.utils.safestring import SafeString

from discussions.articles import reply_article_html

register = template.Library()


@register.simple_tag(takes_context=True)
def reply_article(context: template.Context, reply) -> SafeString:
    # Only reaction forms need the token, and asking for it gives a visitor's page a cookie. The
    # context's token is the page's one; get_token() would mask it anew for every reply.
    bar = getattr(reply, "reaction_bar", None)
    token = context.get("csrf_token") if bar is not None and bar.can_react else None
    return reply_article_html(reply, csrf_token=str(token) if token else None)
