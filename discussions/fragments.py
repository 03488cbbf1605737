"""Reply fragments rendered once and kept in the ``fragments`` cache, shared by every
reader who would be shown the same thing: a reply's header line (number, author, badge,
dates) and its content (review state, content warning, text, attachments, the badge's
boundaries). Pages, the catch-up endpoint and the live hub's frames all take them from
here (``presenters.present_replies``).

A fragment's key is the reply's id and a digest of ``ReplyShown``, everything the
fragment shows, and the fragment templates are given nothing else. So every change a
fragment shows is a new key by construction: an edit, a removal or restoration, a hold,
an attachment removed, the author's new name or "slow to reply", a badge granted or
expired, or the label an audience gets for an anonymous post ("Anonymous member" for
readers, "you (anonymous)" for its author). No write path has to remember to invalidate
anything, and a stale fragment cannot be served; old keys simply age out.

What differs between readers of one audience stays outside, in ``_reply.html``: their own
controls, reactions, the fold over a blocked member's post, and a removal's reason (for
the author alone).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, replace
from datetime import datetime
from functools import cache as once
from typing import Any

from django.core.cache import caches
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from discussions.models import Attachment, Reply

CACHE = "fragments"
HEADER_TEMPLATE = "discussions/_reply_header.html"
CONTENT_TEMPLATE = "discussions/_reply_content.html"
ATTACHMENTS_TEMPLATE = "discussions/_attachments.html"
# Unread fragments make room after a day; nothing goes stale in that time (see above).
TIMEOUT_SECONDS = 24 * 60 * 60


def _field_names(shown: type) -> list[str]:
    return [field.name for field in fields(shown)]


@dataclass(frozen=True)
class AttachmentShown:
    """What ``_attachments.html`` shows of one attachment (the names are the model's)."""

    url: str
    is_removed: bool
    is_image: bool
    alt_text: str
    width: int | None
    height: int | None
    filename: str
    pages: int | None
    size: int

    def get_absolute_url(self) -> str:
        return self.url

    @classmethod
    def of(cls, attachment: Attachment) -> AttachmentShown:
        if attachment.is_removed:
            return cls("", True, False, "", None, None, "", None, 0)
        copied = {name: getattr(attachment, name) for name in _field_names(cls) if name != "url"}
        return cls(url=attachment.get_absolute_url(), **copied)


@dataclass(frozen=True)
class ReplyShown:
    """Everything a reply's cached fragments show, for one audience."""

    number: int
    author_label: Any  # presenters.AuthorLabel, a frozen dataclass; {% post_author %} reads it
    is_discussion_author: bool
    professional_badge: Any  # accounts.selectors.Badge (frozen) or None
    created_at: datetime
    edited_at: datetime | None
    status: str
    content_warning: str
    body_html: str
    attachments: tuple[AttachmentShown, ...]

    @property
    def is_tombstone(self) -> bool:
        return self.status in (Reply.Status.REMOVED, Reply.Status.DELETED)

    @classmethod
    def of(cls, reply: Reply) -> ReplyShown:
        """From a reply prepared by ``present_replies`` (label, badge and attachments set):
        each field is the reply's attribute of the same name."""
        copied = {name: getattr(reply, name) for name in _field_names(cls) if name != "attachments"}
        shown = cls(attachments=tuple(AttachmentShown.of(attachment) for attachment in reply.attachment_list), **copied)
        if shown.is_tombstone:
            # A tombstone shows its number and date: nothing it said, nor who said it.
            return replace(shown, author_label=None, professional_badge=None, content_warning="", body_html="")
        return shown


@dataclass(frozen=True)
class ReplyFragment:
    header: SafeString
    content: SafeString


@once
def _templates_digest() -> str:
    """The fragment templates as deployed: a changed template makes new keys too."""
    sources = [get_template(name).template.source for name in (HEADER_TEMPLATE, CONTENT_TEMPLATE, ATTACHMENTS_TEMPLATE)]
    return hashlib.blake2b("\0".join(sources).encode(), digest_size=8).hexdigest()


def fragment_key(reply_id: int, shown: ReplyShown) -> str:
    # Dates are written in the active time zone and language: they are part of what is shown.
    seen = repr((get_language(), get_current_timezone_name(), shown))
    digest = hashlib.blake2b(seen.encode(), digest_size=16).hexdigest()
    return f"reply:{reply_id}:{_templates_digest()}:{digest}"


def render_fragment(shown: ReplyShown) -> ReplyFragment:
    context = {"shown": shown}
    return ReplyFragment(
        header=render_to_string(HEADER_TEMPLATE, context), content=render_to_string(CONTENT_TEMPLATE, context)
    )


def attach_fragments(replies: list[Reply]) -> None:
    """Set ``fragment`` on each reply prepared by ``present_replies``: one cache read for
    all of them, and one write for those rendered here."""
    wanted = {}
    for reply in replies:
        shown = ReplyShown.of(reply)
        wanted[fragment_key(reply.pk, shown)] = (reply, shown)
    store = caches[CACHE]
    found = store.get_many(list(wanted))
    rendered = {}
    for key, (reply, shown) in wanted.items():
        reply.fragment_key = key
        reply.fragment = found.get(key)
        if reply.fragment is None:
            reply.fragment = rendered[key] = render_fragment(shown)
    if rendered:
        store.set_many(rendered, timeout=TIMEOUT_SECONDS)
