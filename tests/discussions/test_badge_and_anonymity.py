"""Issue 11, item 8: ticking both "anonymous" and "with my professional badge" used to
drop the badge without a word. The member is told before anything is posted."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import User
from community.models import Membership
from discussions import services
from discussions.models import Discussion, Reply, Visibility
from tests.helpers.users import approve_professional

BOTH = "An anonymous post cannot carry your professional badge"


@pytest.fixture
def doctor(user_factory, mecfs) -> User:
    doctor = user_factory("drkim", display_name="Dr Kim", two_factor=True)
    Membership.objects.create(user=doctor, community=mecfs)
    approve_professional(doctor)
    return doctor


@pytest.fixture
def as_doctor(doctor) -> Client:
    client = Client()
    client.force_login(doctor)
    return client


def test_a_new_discussion_with_both_ticked_is_not_posted_and_says_why(as_doctor):
    response = as_doctor.post(
        "/d/new/",
        {
            "title": "Pacing and heart rate",
            "body": "Typed with care over an hour.",
            "hashtags": "#mecfs",
            "visibility": "members",
            "anonymous": "on",
            "as_professional": "on",
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert BOTH in html
    assert "Typed with care over an hour." in html
    assert not Discussion.objects.exists()


def test_a_reply_with_both_ticked_is_not_posted_and_says_why(as_doctor, start, member):
    discussion = start(author=member, visibility=Visibility.MEMBERS)

    response = as_doctor.post(
        f"/d/{discussion.pk}/reply/", {"body": "A careful answer.", "anonymous": "on", "as_professional": "on"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert BOTH in html
    assert "A careful answer." in html
    assert not Reply.objects.exists()


def test_the_forms_say_beforehand_that_the_two_do_not_go_together(as_doctor, start, member):
    discussion = start(author=member, visibility=Visibility.MEMBERS)

    new = as_doctor.get("/d/new/").content.decode()
    detail = as_doctor.get(discussion.get_absolute_url()).content.decode()

    assert "Not shown on anonymous posts" in new
    assert "Not shown on anonymous posts" in detail


def test_the_service_refuses_both_rather_than_dropping_the_badge(doctor, start, member):
    discussion = start(author=member, visibility=Visibility.MEMBERS)

    with pytest.raises(ValidationError) as refused:
        services.reply_create(
            author=doctor, discussion=discussion, body="Hello", is_anonymous=True, as_professional=True
        )

    assert BOTH in str(refused.value)
    assert not Reply.objects.exists()


def test_either_one_alone_still_posts(as_doctor, start, member):
    discussion = start(author=member, visibility=Visibility.MEMBERS)

    anonymous = as_doctor.post(f"/d/{discussion.pk}/reply/", {"body": "As a patient.", "anonymous": "on"})
    badge = as_doctor.post(f"/d/{discussion.pk}/reply/", {"body": "As a doctor.", "as_professional": "on"})

    assert (anonymous.status_code, badge.status_code) == (302, 302)
    assert Reply.objects.get(body="As a patient.").is_anonymous
    assert Reply.objects.get(body="As a doctor.").as_professional
