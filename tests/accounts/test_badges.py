"""Badges for lists in one query, and how the page and the template tags render them."""

import re

import pytest
from django.template import Context, Template
from django.utils import timezone

from accounts.selectors import attach_badges, badges_for_authors
from discussions.models import Discussion, Reply

pytestmark = pytest.mark.django_db
REPLY_ARTICLE = re.compile(r'<article class="(reply[^"]*)" id="reply-(\d+)"')


@pytest.fixture
def busy_discussion(verified_clinician, member, other_member, make_verified):
    make_verified(other_member, profession="nurse", country="Ireland")
    discussion = Discussion.objects.create(
        author=member, title="t", body="b", body_html="<p>b</p>", last_activity_at=timezone.now(), visibility="public"
    )
    authors = [verified_clinician, member, other_member]
    Reply.objects.bulk_create(
        Reply(
            discussion=discussion,
            author=authors[number % 3],
            number=number,
            path=f"{number:06d}",
            body="r",
            body_html="<p>r</p>",
            as_professional=number % 2 == 0,
            is_anonymous=number % 10 == 0,
        )
        for number in range(1, 501)
    )
    return discussion


def test_a_page_of_five_hundred_replies_shows_each_badge_from_one_query(
    busy_discussion, client, django_assert_num_queries
):
    replies = list(Reply.objects.filter(discussion=busy_discussion).order_by("number"))
    with django_assert_num_queries(1):
        attach_badges(replies)
    expected = {
        reply.number
        for reply in replies
        if reply.as_professional and not reply.is_anonymous and reply.author.username in ("drlee", "carol")
    }
    assert {reply.number for reply in replies if reply.professional_badge} == expected

    html = client.get(busy_discussion.get_absolute_url()).content.decode()

    # The page shows a window of the replies; each one in it carries its badge or none.
    shown = {int(number) for _, number in REPLY_ARTICLE.findall(html)}
    verified = {int(number) for classes, number in REPLY_ARTICLE.findall(html) if "reply-verified" in classes}
    assert len(shown) > 10
    assert verified == shown & expected
    assert html.count('class="mark mark-badge"') == len(verified)
    assert "Verified nurse · Ireland" in html
    assert "Verified physician · UK" in html


def test_badges_for_authors_ignores_unverified_and_missing_members(verified_clinician, member):
    badges = badges_for_authors([verified_clinician.pk, member.pk, None, 999999])
    assert set(badges) == {verified_clinician.pk}


def test_the_full_badge_carries_the_advice_note_and_conflict_of_interest(verified_clinician):
    from accounts.services import profile_get_or_create

    profile = profile_get_or_create(verified_clinician)
    profile.conflict_of_interest = "Consultant for <b>Acme</b>"
    profile.save()
    badge = badges_for_authors([verified_clinician.pk])[verified_clinician.pk]
    html = Template("{% load badges %}{% professional_badge badge %}").render(Context({"badge": badge}))
    assert '<a class="pro-badge" href="/professionals/drlee/">Verified physician · UK</a>' in html
    assert "General information, not personal medical advice." in html
    assert "Conflict of interest: Consultant for &lt;b&gt;Acme&lt;/b&gt;" in html


def test_no_badge_renders_nothing():
    assert Template("{% load badges %}{% professional_badge None %}").render(Context()).strip() == ""


def test_post_badge_for_a_single_post(verified_clinician, member):
    discussion = Discussion.objects.create(
        author=verified_clinician,
        title="t",
        body="b",
        body_html="<p>b</p>",
        last_activity_at=timezone.now(),
        as_professional=True,
    )
    html = Template("{% load badges %}{% post_badge post compact=True %}").render(Context({"post": discussion}))
    assert "Verified physician · UK" in html


def test_the_avatar_tag_shows_initials_without_a_picture(member):
    html = Template("{% load badges %}{% avatar user %}").render(Context({"user": member}))
    assert 'class="avatar avatar-initials avatar-small" aria-hidden="true">A</span>' in html


def test_a_discussion_knows_a_verified_clinician_replied_until_the_badge_lapses(verified_clinician, member, staff):
    from accounts.models import ProfessionalVerification
    from accounts.selectors import verified_reply_exists
    from accounts.verification import verification_revoke

    def flagged() -> set[str]:
        annotated = Discussion.objects.annotate(verified_replied=verified_reply_exists())
        return {discussion.title for discussion in annotated if discussion.verified_replied}

    def discussion(title: str) -> Discussion:
        return Discussion.objects.create(
            author=member, title=title, body="b", body_html="<p>b</p>", last_activity_at=timezone.now()
        )

    def reply(target: Discussion, **fields) -> Reply:
        return Reply.objects.create(
            discussion=target, author=verified_clinician, number=1, path="000001", body="r", body_html="r", **fields
        )

    reply(discussion("professional"), as_professional=True)
    reply(discussion("as a patient"), as_professional=False)
    reply(discussion("anonymous"), as_professional=True, is_anonymous=True)
    reply(discussion("removed"), as_professional=True, status="removed")
    assert flagged() == {"professional"}
    application = ProfessionalVerification.objects.get(applicant=verified_clinician)
    verification_revoke(acting_user=staff, application=application, reason="Lapsed")
    assert flagged() == set()
