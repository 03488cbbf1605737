"""A public discussion's page kept for signed-out visitors (discussions.visitor_pages): served
from the cache after the access check, never stale after a change anyone could see, and never
to anyone with something of their own on the page."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ProfessionalVerification, Profile, User
from accounts.services import profile_update
from accounts.verification import verification_expire_due, verification_revoke
from community.models import Membership
from discussions import services, views, visitor_pages
from discussions.audience_services import discussion_set_visibility
from discussions.models import Visibility
from discussions.reactions import reaction_toggle
from moderation.post_actions import post_hide
from moderation.services import discussion_lock
from tests.helpers.live import change_reply, make_discussion
from tests.helpers.users import approve_professional

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod(moderator, mecfs, add_member) -> User:
    add_member(moderator, mecfs, role=Membership.Role.MODERATOR)
    return moderator


@pytest.fixture
def renders(monkeypatch) -> list[int]:
    """The discussions whose page was rendered rather than taken from the cache."""
    rendered: list[int] = []
    real = views._render_discussion

    def counting(request, discussion, **kwargs):
        rendered.append(discussion.pk)
        return real(request, discussion, **kwargs)

    monkeypatch.setattr(views, "_render_discussion", counting)
    return rendered


def visitor_page(discussion, client: Client | None = None) -> str:
    response = (client or Client()).get(discussion.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_visitors_share_one_render_with_the_same_bytes_headers_and_one_query(start, member, other_member, renders):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Rest before you need to")
    first = Client().get(discussion.get_absolute_url())

    with CaptureQueriesContext(connection) as queries:
        second = Client().get(discussion.get_absolute_url())

    assert renders == [discussion.pk]
    assert second.content == first.content
    assert "Rest before you need to" in second.content.decode()
    for header in ("Content-Type", "X-Robots-Tag", "Cache-Control", "Vary", "Content-Security-Policy"):
        assert second.headers.get(header) == first.headers.get(header), header
    assert second.cookies == {}
    # The access check, asked afresh: nothing else reaches the database.
    assert len(queries) == 1


def test_a_new_reply_an_edit_and_a_reaction_show_to_the_next_visitor(start, member, other_member):
    discussion = start()
    reply = services.reply_create(author=other_member, discussion=discussion, body="First thought")
    assert "First thought" in visitor_page(discussion)

    services.reply_create(author=member, discussion=discussion, body="A second voice")
    assert "A second voice" in visitor_page(discussion)

    services.reply_edit(acting_user=other_member, reply=reply, body="Second thought")
    page = visitor_page(discussion)
    assert "Second thought" in page and "First thought" not in page

    thanked = '<span class="reaction-count" data-kind="thank_you">1</span>'
    assert thanked not in visitor_page(discussion)
    reaction_toggle(user=member, post=reply, kind="thank_you")
    assert thanked in visitor_page(discussion)


def test_a_hidden_reply_is_gone_for_the_next_visitor(start, member, other_member, mod):
    discussion = start()
    reply = services.reply_create(author=other_member, discussion=discussion, body="Something to take down")
    assert "Something to take down" in visitor_page(discussion)

    post_hide(acting_user=mod, post=reply)

    assert "Something to take down" not in visitor_page(discussion)


def test_a_discussion_taken_out_of_public_view_is_a_404_at_once(start, member, mecfs):
    Membership.objects.get_or_create(user=member, community=mecfs)
    discussion = start()
    visitor_page(discussion)

    discussion_set_visibility(acting_user=member, discussion=discussion, visibility=Visibility.COMMUNITY)

    assert Client().get(discussion.get_absolute_url()).status_code == 404


def test_a_lock_shows_to_the_next_visitor(start, member, mod):
    discussion = start()
    assert "locked" not in visitor_page(discussion).lower()

    discussion_lock(acting_user=mod, discussion=discussion)

    assert "locked" in visitor_page(discussion).lower()


def test_a_page_rendered_before_a_change_commits_is_not_served_after_it(
    start, member, other_member, django_capture_on_commit_callbacks
):
    discussion = start()
    reply = services.reply_create(author=other_member, discussion=discussion, body="Before the edit")
    visitor_page(discussion)
    key = visitor_pages._page_key(discussion.pk, discussion.get_absolute_url())
    generation_key = visitor_pages.visitor_page_generation_key(discussion.pk)

    with django_capture_on_commit_callbacks(execute=True):
        change_reply(reply, body_html="<p>After the edit</p>")
        # Another visitor's request read the generations now, then the rows as they were
        # before the commit, and kept that page.
        made_in, _ = cache.get(key)
        cache.set(key, ((cache.get(generation_key), made_in[1]), b"Before the edit"), 30)

    assert "After the edit" in visitor_page(discussion)


def test_members_and_visitors_with_something_of_their_own_get_their_own_page(start, member, other_member, renders):
    discussion = start()
    visitor_page(discussion)

    signed_in = Client()
    signed_in.force_login(other_member)
    assert 'name="body"' in visitor_page(discussion, signed_in)

    with_query = Client().get(discussion.get_absolute_url() + "?order=thanked")
    assert with_query.status_code == 200

    signed_out = Client()
    signed_out.force_login(other_member)
    signed_out.post("/accounts/logout/")
    assert signed_out.cookies.get("sessionid") is not None or signed_out.cookies.get("messages") is not None
    page = visitor_page(discussion, signed_out)
    assert "You have signed out" in page

    # The flash message was the signed-out visitor's alone.
    assert "You have signed out" not in visitor_page(discussion)
    assert renders == [discussion.pk] * 4


def test_a_page_that_sets_a_cookie_is_not_kept(start, renders, monkeypatch):
    discussion = start()
    real = views._render_discussion

    def with_cookie(request, found, **kwargs):
        response = real(request, found, **kwargs)
        response.set_cookie("csrftoken", "x")
        return response

    monkeypatch.setattr(views, "_render_discussion", with_cookie)
    visitor_page(discussion)
    visitor_page(discussion)

    assert cache.get(visitor_pages._page_key(discussion.pk, discussion.get_absolute_url())) is None


def test_a_members_only_discussion_is_never_kept_for_visitors(member, mecfs):
    Membership.objects.get_or_create(user=member, community=mecfs)
    discussion = make_discussion(member, visibility=Visibility.COMMUNITY)
    discussion.tags.add("mecfs")

    assert Client().get(discussion.get_absolute_url()).status_code == 404
    assert cache.get(visitor_pages._page_key(discussion.pk, discussion.get_absolute_url())) is None


def test_only_the_discussions_own_addresses_are_kept(start, renders):
    discussion = start()
    short = f"/d/{discussion.pk}/"
    for address in (short, short, discussion.get_absolute_url(), discussion.get_absolute_url()):
        assert Client().get(address).status_code == 200
    assert renders == [discussion.pk] * 2

    for _ in range(2):
        assert Client().get(f"/d/{discussion.pk}/any-words-at-all/").status_code == 200
    assert renders == [discussion.pk] * 4
    assert cache.get(visitor_pages._page_key(discussion.pk, f"/d/{discussion.pk}/any-words-at-all/")) is None


@pytest.fixture
def doctor_reply(start, user_factory, mecfs):
    doctor = user_factory("drkim", display_name="Dr Kim", two_factor=True)
    Membership.objects.create(user=doctor, community=mecfs)
    verification = approve_professional(doctor)
    discussion = start()
    services.reply_create(author=doctor, discussion=discussion, body="In general, pace", as_professional=True)
    assert "Verified physician · UK" in visitor_page(discussion)
    return discussion, doctor, verification


def test_a_revoked_badge_is_gone_for_the_next_visitor(doctor_reply, staff):
    discussion, _, verification = doctor_reply

    verification_revoke(acting_user=staff, application=verification, reason="Licence lapsed")

    assert "Verified physician" not in visitor_page(discussion)


def test_an_expired_badge_is_gone_once_the_expiry_job_has_run(doctor_reply):
    discussion, _, verification = doctor_reply
    ProfessionalVerification.objects.filter(pk=verification.pk).update(expires_at=timezone.now())

    verification_expire_due()

    assert "Verified physician" not in visitor_page(discussion)


def test_a_new_display_name_shows_to_the_next_visitor(start, member, other_member):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Hello")
    assert "Carol" in visitor_page(discussion)

    profile_update(
        user=other_member,
        display_name="Caz",
        role="",
        pronouns="",
        bio="",
        bio_visibility=Profile.Audience.MEMBERS,
        conditions=[],
        conditions_visibility=Profile.Audience.MEMBERS,
    )

    page = visitor_page(discussion)
    assert "Caz" in page and "Carol" not in page
