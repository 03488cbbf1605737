"""Reply fragments are rendered once per audience and cached (discussions/fragments.py),
and a cached fragment never shows what has since changed: each case below reads the
page first, so the fragment is in the cache, then changes the reply and reads again."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import connection
from django.template import defaulttags
from django.test import Client
from django.utils import timezone

from accounts.models import ProfessionalVerification, User
from community.models import Membership
from discussions import fragments, services
from discussions.live.frames import build_reply_frames
from discussions.models import Reaction
from discussions.presenters import reply_html_for_viewer
from discussions.reactions import reaction_toggle
from moderation.post_actions import attachment_remove, post_hide, post_redact, post_remove, post_restore
from tests.helpers.attachments import image_bytes, upload
from tests.helpers.users import approve_professional

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_fragments(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    caches[fragments.CACHE].clear()
    yield
    caches[fragments.CACHE].clear()


@pytest.fixture
def renders(monkeypatch) -> list[int]:
    """The numbers of the replies whose fragments were rendered, not taken from the cache."""
    rendered: list[int] = []
    real = fragments.render_fragment

    def counting(shown):
        rendered.append(shown.number)
        return real(shown)

    monkeypatch.setattr(fragments, "render_fragment", counting)
    return rendered


@pytest.fixture
def mod(moderator, mecfs, add_member) -> User:
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    return moderator


def page_for(user: User | None, discussion) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(discussion.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_every_reader_of_an_audience_shares_one_render(start, member, other_member, outsider, renders):
    discussion = start()
    for number in range(3):
        services.reply_create(author=other_member, discussion=discussion, body=f"Pacing tip {number}")

    page_for(member, discussion)
    assert sorted(renders) == [1, 2, 3]
    page_for(outsider, discussion)
    page_for(None, discussion)

    assert sorted(renders) == [1, 2, 3]


def test_the_live_frames_reuse_the_pages_fragments(start, member, other_member, renders):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Shared")
    page_for(member, discussion)

    html = reply_html_for_viewer(viewer=member, discussion=discussion, number=1)

    assert "Shared" in html
    assert renders == [1]


def test_an_edit_shows_at_once(start, member, other_member):
    discussion = start()
    reply = services.reply_create(author=other_member, discussion=discussion, body="Rest for ten minutes")
    assert "Rest for ten minutes" in page_for(member, discussion)

    services.reply_edit(acting_user=other_member, reply=reply, body="Rest for twenty minutes")

    page = page_for(member, discussion)
    assert "Rest for twenty minutes" in page
    assert "ten minutes" not in page


def test_a_removal_shows_the_tombstone_and_none_of_the_text(start, member, other_member, mod):
    discussion = start()
    reply = services.reply_create(author=other_member, discussion=discussion, body="My address is 1 High St")
    assert "1 High St" in page_for(member, discussion)

    post_remove(acting_user=mod, post=reply, guideline=2, reason="An address")

    for reader in (member, None, mod):
        page = page_for(reader, discussion)
        assert "1 High St" not in page
        assert "Removed by moderators: guideline 2" in page
    assert "An address" in page_for(other_member, discussion)

    post_restore(acting_user=mod, post=reply)
    assert "1 High St" in page_for(member, discussion)


def test_a_redaction_shows_at_once_though_it_is_no_edit(start, member, other_member, mod):
    discussion = start()
    reply = services.reply_create(author=other_member, discussion=discussion, body="Call me on 07700 900123 please")
    assert "07700 900123" in page_for(member, discussion)

    post_redact(acting_user=mod, post=reply, span="07700 900123")

    page = page_for(member, discussion)
    assert "07700 900123" not in page
    assert "[removed: personal data]" in page


def test_a_removed_attachment_is_gone_from_the_fragment(start, member, other_member, mod):
    discussion = start()
    reply = services.reply_create(
        author=other_member,
        discussion=discussion,
        body="My prescription",
        attachments=[upload("a.png", image_bytes("PNG"))],
        alt_texts=["A prescription with my name on it"],
    )
    assert "A prescription with my name on it" in page_for(member, discussion)

    attachment_remove(acting_user=mod, post=reply, attachment_id=reply.attachments.get().pk)

    page = page_for(member, discussion)
    assert "A prescription with my name on it" not in page
    assert "An attachment was removed by moderators." in page


def test_an_anonymous_reply_names_its_author_to_them_alone(start, member, other_member, outsider, mod):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Quietly", is_anonymous=True)
    # The author reads first, so "you (anonymous)" is what the cache holds for them.
    assert "you (anonymous)" in page_for(other_member, discussion)

    for reader in (member, outsider, None, mod):
        page = page_for(reader, discussion)
        assert "Anonymous member" in page
        assert "you (anonymous)" not in page
        assert "Carol" not in page and "/u/carol/" not in page
    frames, _ = build_reply_frames(
        {"type": "reply.changed", "discussion_id": discussion.pk, "number": 1},
        7,
        {"visitor": [AnonymousUser()], "member": [member], "moderator": [mod]},
        {other_member.pk: other_member},
    )
    assert "you (anonymous)" in frames["author"]
    for audience in ("visitor", "member", "moderator"):
        assert "Anonymous member" in frames[audience]
        assert "Carol" not in frames[audience] and "you (anonymous)" not in frames[audience]


def test_a_new_name_shows_at_once(start, member, other_member):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Hello")
    assert "Carol" in page_for(member, discussion)

    User.objects.filter(pk=other_member.pk).update(display_name="Caz", slow_to_reply=True)

    page = page_for(member, discussion)
    assert "Caz" in page and "may take days to answer" in page
    assert "Carol" not in page


def test_an_expired_badge_is_gone_from_the_fragment(start, member, user_factory, mecfs):
    doctor = user_factory("drkim", display_name="Dr Kim", two_factor=True)
    Membership.objects.create(user=doctor, community=mecfs)
    verification = approve_professional(doctor)
    discussion = start()
    services.reply_create(author=doctor, discussion=discussion, body="In general, pace", as_professional=True)
    assert "Verified physician · UK" in page_for(member, discussion)

    ProfessionalVerification.objects.filter(pk=verification.pk).update(expires_at=timezone.now())

    page = page_for(member, discussion)
    assert "Verified physician" not in page
    assert "not personal medical advice" not in page


def test_a_hidden_reply_says_so_to_its_author_and_reaches_nobody_else(start, member, other_member, mod):
    discussion = start()
    reply = services.reply_create(author=other_member, discussion=discussion, body="Held back")
    assert "Held back" in page_for(member, discussion)

    post_hide(acting_user=mod, post=reply)

    assert "Held back" not in page_for(member, discussion)
    assert "Hidden while a moderator reviews it" in page_for(other_member, discussion)


def test_no_query_runs_while_a_template_loop_renders(start, member, other_member, outsider, monkeypatch):
    discussion = start()
    for number in range(1, 6):
        reply = services.reply_create(
            author=other_member,
            discussion=discussion,
            body=f"Reply {number}",
            is_anonymous=number == 2,
            content_warning="self-harm" if number == 3 else "",
            parent_number=1 if number == 4 else None,
            attachments=[upload("a.png", image_bytes("PNG"))] if number == 5 else [],
            alt_texts=["A photo"] if number == 5 else [],
        )
        reaction_toggle(user=outsider, post=reply, kind=Reaction.Kind.ME_TOO)
    depth = [0]
    in_loops: list[str] = []
    real_render = defaulttags.ForNode.render

    def render(node, context):
        depth[0] += 1
        try:
            return real_render(node, context)
        finally:
            depth[0] -= 1

    def watch(execute, sql, params, many, context):
        if depth[0]:
            in_loops.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(defaulttags.ForNode, "render", render)
    with connection.execute_wrapper(watch):
        for reader in (member, None):
            page_for(reader, discussion)

    assert in_loops == []
