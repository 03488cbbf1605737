"""Who wrote a post, in the words of ``discussions.presenters.author_label``, on every
page that shows one: the discussion page and its replies (live frames too), discussion
lists, the moderation queue and review pages, and notifications.

{% load authors %}
{% post_author reply %}   {# "Anonymous member", "Former member", or the linked name (and "may take days to answer") #}
{% post_author n.about link=False %}   {# the name unlinked, inside a line that is a link of its own #}

Lists set the labels in one go with ``presenters.attach_author_labels``, and a page
rendered for a stand-in reader (live frames) with ``present_replies``; otherwise the
label is worked out here for the request's user.
"""

from django import template
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.html import format_html

from discussions.models import Discussion, Reply
from discussions.presenters import AuthorLabel, author_label

register = template.Library()

# Beside the name of a member who set "I may take days to answer" (never on anonymous posts).
SLOW_TO_REPLY = "may take days to answer"


@register.simple_tag(takes_context=True)
def post_author(context: template.Context, post: Discussion | Reply, link: bool = True) -> str:
    label = getattr(post, "author_label", None)
    if not isinstance(label, AuthorLabel):
        request = context.get("request")
        label = author_label(post, request.user if request is not None else AnonymousUser())
    if link and label.username:
        url = reverse("accounts:profile", kwargs={"username": label.username})
        name = format_html('<a href="{}">{}</a>', url, label.name)
    else:
        name = label.name
    if label.slow_to_reply:
        return format_html('{} <span class="mark mark-slow">{}</span>', name, SLOW_TO_REPLY)
    return name
