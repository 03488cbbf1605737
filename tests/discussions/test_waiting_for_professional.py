"""Issue 15: "Waiting for a professional". A member asks for a professional's view; verified clinicians who
follow one of the discussion's communities see it, oldest first, until one of them answers with the badge."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Block, ProfessionalVerification, User
from community.listings import discussion_list_waiting_for_professional
from community.models import Community, Membership
from discussions import services
from discussions.models import Discussion, Revision, Visibility
from notifications.models import HashtagFollow

WAITING = "/professional/waiting/"
ASKED = "Asked for a professional's view"
NOT_ANSWERED = "no verified clinician has answered yet"


def verify(user: User, *, days: int = 30) -> User:
    ProfessionalVerification.objects.create(
        applicant=user,
        profession="physician",
        licence_number=f"L-{user.pk}",
        issuing_body="GMC",
        country="UK",
        status=ProfessionalVerification.Status.APPROVED,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return user


@pytest.fixture
def doctor(user_factory, mecfs) -> User:
    """A verified clinician with two-factor sign-in who belongs to #mecfs."""
    doctor = verify(user_factory("drkim", display_name="Dr Kim", two_factor=True))
    Membership.objects.create(user=doctor, community=mecfs)
    return doctor


@pytest.fixture
def second_doctor(user_factory, mecfs) -> User:
    doctor = verify(user_factory("drosei", display_name="Dr Osei", two_factor=True))
    Membership.objects.create(user=doctor, community=mecfs)
    return doctor


@pytest.fixture
def ask(start):
    """``ask(title=..., **fields)``: a discussion in #mecfs asking for a professional's view."""

    def make(**fields) -> Discussion:
        fields.setdefault("wants_professional", True)
        return start(**fields)

    return make


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def waiting_for(viewer) -> list[str]:
    return list(discussion_list_waiting_for_professional(viewer).values_list("title", flat=True))


# --- Who is listed --------------------------------------------------------------------


def test_it_lists_a_request_in_a_community_the_clinician_belongs_to(doctor, ask):
    ask(title="Is this heart rate normal?")
    assert waiting_for(doctor) == ["Is this heart rate normal?"]


def test_it_lists_a_request_in_a_hashtag_the_clinician_follows_without_joining(user_factory, spoonie, ask, member):
    follower = verify(user_factory("drlee", two_factor=True))
    HashtagFollow.objects.create(user=follower, community=spoonie)
    ask(title="Spoon maths", hashtags=["spoonie"], author=member)
    ask(title="Only in #mecfs")
    assert waiting_for(follower) == ["Spoon maths"]


def test_it_never_lists_what_the_clinician_may_not_read(user_factory, hidden_circle, mecfs, ask, other_member):
    follower = verify(user_factory("drlee", two_factor=True))
    HashtagFollow.objects.create(user=follower, community=hidden_circle)
    HashtagFollow.objects.create(user=follower, community=mecfs)
    Membership.objects.create(user=other_member, community=hidden_circle)
    ask(title="Inside the private circle", hashtags=["circle"], author=other_member, visibility=Visibility.MEMBERS)
    ask(title="For #mecfs members only", visibility=Visibility.COMMUNITY)
    ask(title="Open to members", visibility=Visibility.MEMBERS)

    assert waiting_for(follower) == ["Open to members"]
    html = login(follower).get(WAITING).content.decode()
    assert "Inside the private circle" not in html and "For #mecfs members only" not in html


def test_it_leaves_out_what_did_not_ask_or_cannot_be_answered(doctor, ask, start, mecfs, moderator):
    start(title="Did not ask")
    locked = ask(title="Locked")
    Discussion.objects.filter(pk=locked.pk).update(is_locked=True)
    held = ask(title="Held")
    Discussion.objects.filter(pk=held.pk).update(status=Discussion.Status.HELD)
    ask(title="My own question", author=doctor)
    ask(title="Still waiting")
    assert waiting_for(doctor) == ["Still waiting"]


def test_a_signed_author_who_blocked_the_clinician_is_left_out_but_anonymity_gives_nothing_away(doctor, ask, member):
    Block.objects.create(blocker=member, blocked=doctor)
    ask(title="Signed, blocked")
    ask(title="Anonymous, blocked", is_anonymous=True)
    assert waiting_for(doctor) == ["Anonymous, blocked"]


def test_a_community_that_banned_the_clinician_is_left_out(doctor, ask, mecfs, spoonie):
    HashtagFollow.objects.create(user=doctor, community=mecfs)
    Membership.objects.filter(user=doctor, community=mecfs).update(status=Membership.Status.BANNED)
    ask(title="In #mecfs")
    assert waiting_for(doctor) == []


def test_the_oldest_request_comes_first(doctor, ask):
    newer = ask(title="Newer")
    older = ask(title="Older")
    Discussion.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=3))
    Discussion.objects.filter(pk=newer.pk).update(last_activity_at=timezone.now() - timedelta(days=5))
    assert waiting_for(doctor) == ["Older", "Newer"]


# --- When it leaves the list --------------------------------------------------------


def test_a_badged_reply_by_a_verified_clinician_takes_it_off_every_clinicians_list(doctor, second_doctor, ask):
    discussion = ask(title="Waiting")
    services.reply_create(author=second_doctor, discussion=discussion, body="As a physician: ...", as_professional=True)
    assert waiting_for(doctor) == [] and waiting_for(second_doctor) == []


def test_a_reply_without_the_badge_does_not_count(doctor, ask):
    discussion = ask(title="Waiting")
    services.reply_create(
        author=doctor, discussion=discussion, body="Speaking as a patient myself", as_professional=False
    )
    services.reply_create(author=doctor, discussion=discussion, body="Anonymously", is_anonymous=True)
    assert waiting_for(doctor) == ["Waiting"]


def test_a_badged_reply_counts_only_while_its_author_is_verified(doctor, second_doctor, ask):
    discussion = ask(title="Waiting")
    services.reply_create(author=second_doctor, discussion=discussion, body="An answer", as_professional=True)
    ProfessionalVerification.objects.filter(applicant=second_doctor).update(expires_at=timezone.now())
    assert waiting_for(doctor) == ["Waiting"]


def test_a_removed_badged_reply_puts_it_back(doctor, second_doctor, ask):
    discussion = ask(title="Waiting")
    reply = services.reply_create(author=second_doctor, discussion=discussion, body="An answer", as_professional=True)
    type(reply).objects.filter(pk=reply.pk).update(status=type(reply).Status.REMOVED)
    assert waiting_for(doctor) == ["Waiting"]


# --- The page ---------------------------------------------------------------------------


def test_the_page_names_anonymous_authors_only_as_anonymous(doctor, ask, member):
    ask(title="Asked anonymously", is_anonymous=True)
    html = login(doctor).get(WAITING).content.decode()
    assert "Asked anonymously" in html
    assert "Anonymous member" in html
    assert "Alice" not in html and "alice" not in html


def test_the_page_keeps_content_warnings_folded(doctor, ask):
    ask(title="About a bad night", body="The detail that is behind the warning.", content_warning="self-harm")
    html = login(doctor).get(WAITING).content.decode()
    assert "Content warning: self-harm" in html
    assert "The detail that is behind the warning." not in html


def test_the_page_is_for_verified_clinicians_only(client, member, user_factory, ask):
    ask(title="Waiting")
    assert login(member).get(WAITING).status_code == 403
    lapsed = verify(user_factory("drold", two_factor=True), days=-1)
    assert login(lapsed).get(WAITING).status_code == 403
    assert client.get(WAITING).status_code == 302
    assert waiting_for(member) == []


def test_the_page_says_when_nobody_is_waiting_and_asks_for_two_factor_without_it(user_factory, mecfs):
    no_second_factor = verify(user_factory("drnew"))
    html = login(no_second_factor).get(WAITING).content.decode()
    assert "Nobody is waiting" in html
    assert "/accounts/2fa/" in html


def test_the_page_is_paginated_with_a_bounded_number_of_queries(doctor, ask, django_assert_max_num_queries):
    for number in range(3):
        ask(title=f"Question {number}")
    as_doctor = login(doctor)
    as_doctor.get(WAITING)  # loads the session and the doctor's access context
    with django_assert_max_num_queries(12) as few:
        assert as_doctor.get(WAITING).status_code == 200
    for number in range(3, 35):
        ask(title=f"Question {number}", content_warning="detail" if number % 2 else "")
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = as_doctor.get(WAITING).content.decode()
    assert "Question 0<" in first and "Question 34<" not in first
    assert "Question 34<" in as_doctor.get(WAITING + "?page=2").content.decode()


# --- Asking, and changing one's mind -----------------------------------------------


def test_the_new_discussion_form_has_the_checkbox_and_it_is_saved(member, mecfs):
    as_member = login(member)
    assert "Ask for a professional&#x27;s view" in as_member.get("/d/new/").content.decode()
    data = {
        "title": "Heart rate",
        "body": "Is 130 normal when standing?",
        "hashtags": "#mecfs",
        "visibility": "members",
    }
    as_member.post("/d/new/", {**data, "wants_professional": "on"})
    as_member.post("/d/new/", {**data, "title": "Did not ask"})
    assert Discussion.objects.get(title="Heart rate").wants_professional
    assert not Discussion.objects.get(title="Did not ask").wants_professional


def test_the_author_can_switch_the_request_off_without_a_revision(member, ask):
    discussion = ask(title="Heart rate", body="Is 130 normal?")
    as_member = login(member)
    edit = f"/d/{discussion.pk}/discussion/edit/"
    assert 'name="wants_professional"' in as_member.get(edit).content.decode()
    response = as_member.post(edit, {"title": "Heart rate", "body": "Is 130 normal?", "content_warning": ""})
    assert response.status_code == 302
    discussion.refresh_from_db()
    assert not discussion.wants_professional
    assert discussion.edited_at is None and not Revision.objects.exists()


def test_only_the_author_can_change_the_request(other_member, ask):
    discussion = ask(title="Heart rate")
    edit = f"/d/{discussion.pk}/discussion/edit/"
    assert login(other_member).post(edit, {"title": "x", "body": "y"}).status_code == 404
    discussion.refresh_from_db()
    assert discussion.wants_professional


def test_the_discussion_page_says_a_view_was_asked_for_and_tells_clinicians_none_answered(
    member, doctor, second_doctor, ask
):
    discussion = ask(title="Heart rate")
    url = discussion.get_absolute_url()
    for_member = login(member).get(url).content.decode()
    assert ASKED in for_member and NOT_ANSWERED not in for_member
    assert NOT_ANSWERED in login(doctor).get(url).content.decode()

    services.reply_create(author=second_doctor, discussion=discussion, body="An answer", as_professional=True)
    for_doctor = login(doctor).get(url).content.decode()
    assert ASKED in for_doctor and NOT_ANSWERED not in for_doctor


def test_a_discussion_that_did_not_ask_says_nothing(member, start):
    assert ASKED not in login(member).get(start().get_absolute_url()).content.decode()


def test_the_settings_menu_links_the_list_for_verified_clinicians_only(member, doctor):
    assert WAITING in login(doctor).get("/settings/profile/").content.decode()
    assert WAITING not in login(member).get("/settings/profile/").content.decode()


# --- The verification form says up front that the badge needs two-factor --------------


def test_the_verification_form_offers_two_factor_set_up_when_it_is_off(member):
    html = login(member).get("/settings/verification/").content.decode()
    assert "Posting with the badge needs two-factor sign-in" in html
    assert 'href="/accounts/2fa/"' in html
    assert html.index("two-factor-heading") < html.index("apply-heading")


def test_the_verification_form_says_two_factor_is_on(user_factory, db):
    careful = user_factory("careful", two_factor=True)
    html = login(careful).get("/settings/verification/").content.decode()
    assert "Two-factor sign-in is on" in html
    assert "Set up two-factor sign-in" not in html


def test_community_only_requests_show_to_clinicians_in_that_community(doctor, ask, mecfs):
    ask(title="For #mecfs members", visibility=Visibility.COMMUNITY)
    assert Community.objects.get(slug="mecfs").memberships.filter(user=doctor).exists()
    assert waiting_for(doctor) == ["For #mecfs members"]


def test_a_request_whose_author_account_is_gone_stays_listed(doctor, ask):
    # exclude() over a nullable author must not drop rows whose author is NULL.
    discussion = ask(title="Author left")
    Discussion.objects.filter(pk=discussion.pk).update(author=None)
    assert waiting_for(doctor) == ["Author left"]
