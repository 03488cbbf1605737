"""A reply's whole article (``_reply.html``), rendered once per process for each different one.

``_reply.html`` wraps a reply's cached fragments (``discussions.fragments``) in what may differ
between two readers of one audience: their own controls, the blocked-author fold, the links they
may follow, indentation, their reaction bar. An ``Article`` holds all of it, the fragments by
their key (a digest of everything they show), so one ``Article`` always renders the same HTML and
a page of fifty replies mostly joins articles this process has already rendered. The one part
that belongs to the request, its CSRF token, goes in afterwards, as in the reaction bar.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, fields
from threading import Lock
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from discussions.models import Reply
from discussions.templatetags.reactions import TOKEN_SLOT

TEMPLATE = "discussions/_reply.html"
REMEMBERED_ARTICLES = 4096


@dataclass(frozen=True)
class Article:
    """Everything ``_reply.html`` shows for one reply and one reader (see ``present_replies``)."""

    pk: int
    number: int
    path: str
    parent_number: int | None
    discussion_pk: int
    status: str
    is_tombstone: bool
    removal_guideline: int | None
    removal_reason: str
    professional_badge: Any  # accounts.selectors.Badge (frozen) or None
    indent: int
    show_parent_link: bool
    is_own: bool
    by_blocked: bool
    can_answer: bool
    can_edit: bool
    can_delete: bool
    can_flag: bool
    can_moderate: bool
    can_see_history: bool
    reaction_bar: Any  # discussions.reaction_bars.ReactionBar (frozen) or None
    fragment_key: str
    language: str

    @classmethod
    def of(cls, reply: Reply) -> Article:
        values = {name: getattr(reply, name, None) for name in _NAMES if name != "language"}
        return cls(language=get_language(), **values)


_NAMES = tuple(field.name for field in fields(Article))
_rendered: OrderedDict[tuple[Article, bool], str] = OrderedDict()
_lock = Lock()


def reply_article_html(reply: Reply, *, csrf_token: str | None) -> SafeString:
    """The reply's ``_reply.html``; ``csrf_token`` goes into its reaction forms (None: there
    is no request, the forms are left without one, and static/js/reactions.js adds the page's)."""
    key = (Article.of(reply), bool(csrf_token))
    with _lock:
        html = _rendered.get(key)
        if html is not None:
            _rendered.move_to_end(key)
    if html is None:
        context = {"reply": _Shown(key[0], reply.fragment), "csrf_token": TOKEN_SLOT if csrf_token else ""}
        html = render_to_string(TEMPLATE, context)
        with _lock:
            _rendered[key] = html
            while len(_rendered) > REMEMBERED_ARTICLES:
                _rendered.popitem(last=False)
    if csrf_token:
        html = html.replace(TOKEN_SLOT, csrf_token)
    return mark_safe(html)  # noqa: S308 - our template's output, and a token of letters and digits


def reply_article_for_request(reply: Reply, request: HttpRequest | None) -> SafeString:
    """``reply_article_html`` with the request's token, asked for only where the reply has
    reaction forms (asking gives a visitor's page a CSRF cookie)."""
    bar = getattr(reply, "reaction_bar", None)
    token = get_token(request) if request is not None and bar is not None and bar.can_react else None
    return reply_article_html(reply, csrf_token=token)


class _Shown:
    """What the template reads: the article's fields, and the fragments its key names."""

    def __init__(self, article: Article, fragment: Any) -> None:
        self.__dict__.update({name: getattr(article, name) for name in _NAMES})
        self.fragment = fragment
