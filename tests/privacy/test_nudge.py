"""The nudge before posting identifying details to a public discussion."""

import pytest

from accounts.models import User
from discussions.models import Discussion, Reply, Visibility
from discussions.privacy import (
    ADDRESS_LABEL,
    BIRTH_LABEL,
    EMAIL_LABEL,
    NAME_LABEL,
    PHONE_LABEL,
    identifying_details,
)

POSTER = User(pk=1, username="jd", display_name="Jane Doe", first_name="Jane", last_name="Doe")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to me at jane.doe@example.com", [EMAIL_LABEL]),
        ("my mobile is 07700 900123", [PHONE_LABEL]),
        ("ring +44 20 7946 0958 any time", [PHONE_LABEL]),
        ("US folks: (555) 123-4567", [PHONE_LABEL]),
        ("I was born on 3 March 1985", [BIRTH_LABEL]),
        ("DOB: 03/04/1985", [BIRTH_LABEL]),
        ("my date of birth is 12.05.1990", [BIRTH_LABEL]),
        ("my birthday is May 12th", [BIRTH_LABEL]),
        ("I live at 221B Baker Street", [ADDRESS_LABEL]),
        ("we moved to 14 Old Mill Road last year", [ADDRESS_LABEL]),
        ("postcode SW1A 1AA", [ADDRESS_LABEL]),
        ("Hi, I'm Jane Doe and I have ME", [NAME_LABEL]),
        ("hi I am jane   doe", [NAME_LABEL]),
        ("jane@example.org, 07700 900123", [EMAIL_LABEL, PHONE_LABEL]),
    ],
)
def test_it_spots_identifying_details(text, expected):
    assert identifying_details(text, author=POSTER) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I was diagnosed on 3 March 2020",
        "I take 500 mg twice a day, 1000 mg in total",
        "symptoms from 2019-2021 then better",
        "on 12/03/2020 I had a flare",
        "the appointment is at 2023-11-05 12:30",
        "I walked 5 miles down the road today",
        "Dr Smith said to rest",
        "my HbA1c was 48 mmol/mol",
        "I'm Jane, hello everyone",
        "call 111 or 999 in an emergency",
        "I was born in 1985",
        "10,000 steps is too many for me",
        "Doe-eyed and tired",
        "@janedoe thanks!",
        "",
    ],
)
def test_it_stays_quiet_on_ordinary_health_talk(text):
    assert identifying_details(text, author=POSTER) == []


def test_a_one_word_display_name_is_not_a_full_name():
    poster = User(pk=2, username="sunny", display_name="Sunny")
    assert identifying_details("Sunny here", author=poster) == []


@pytest.mark.django_db
class TestPostingWithTheNudge:
    @pytest.fixture
    def alice(self, world):
        return world.client("author")

    def _new(self, client, **fields):
        data = {
            "title": "Things that help",
            "body": "Email me at alice.private@example.com if you want to talk",
            "hashtags": "#cnrycomm",
            "visibility": "public",
            "content_warning": "tiredness",
            **fields,
        }
        return client.post("/d/new/", data)

    def _created(self, world):
        return Discussion.objects.exclude(pk__in=[d.pk for d in world.posts.values()])

    def test_a_public_post_with_an_email_comes_back_with_the_choices_and_all_text_kept(self, world, alice):
        response = self._new(alice)

        html = response.content.decode()
        assert response.status_code == 200
        assert not self._created(world).exists()
        assert "an email address" in html
        for choice in ("Post it anyway", "Make it members-only", "Post anonymously"):
            assert choice in html
        assert 'name="acknowledged_privacy" value="1"' in html
        assert "alice.private@example.com" in html
        assert 'value="Things that help"' in html
        assert 'value="tiredness"' in html

    def test_post_it_anyway_publishes_as_chosen(self, world, alice):
        response = self._new(alice, privacy_choice="anyway", acknowledged_privacy="1")

        assert response.status_code == 302
        created = self._created(world).get()
        assert (created.visibility, created.is_anonymous) == (Visibility.PUBLIC, False)

    def test_make_it_members_only_narrows_the_audience(self, world, alice):
        self._new(alice, privacy_choice="members", acknowledged_privacy="1")

        assert self._created(world).get().visibility == Visibility.MEMBERS

    def test_post_anonymously_keeps_it_public_but_anonymous(self, world, alice):
        self._new(alice, privacy_choice="anonymous", acknowledged_privacy="1")

        created = self._created(world).get()
        assert (created.visibility, created.is_anonymous) == (Visibility.PUBLIC, True)

    def test_a_members_only_post_is_not_nudged(self, world, alice):
        assert self._new(alice, visibility="members").status_code == 302

    def test_a_public_post_without_details_is_not_nudged(self, world, alice):
        assert self._new(alice, body="Rest, pacing and patience.").status_code == 302

    def test_a_reply_to_a_public_discussion_is_nudged_then_posted_anonymously(self, world):
        client = world.client("member")
        url = f"/d/{world.posts['public'].pk}/reply/"
        body = "Call me on 07700 900123"

        first = client.post(url, {"body": body})
        html = first.content.decode()
        assert first.status_code == 200
        assert "a phone number" in html
        assert "Make it members-only" not in html
        assert body in html
        assert not Reply.objects.filter(body=body).exists()

        second = client.post(url, {"body": body, "privacy_choice": "anonymous", "acknowledged_privacy": "1"})
        assert second.status_code == 302
        assert Reply.objects.get(body=body).is_anonymous is True

    def test_a_reply_to_a_members_only_discussion_is_not_nudged(self, world):
        response = world.client("member").post(
            f"/d/{world.posts['members'].pk}/reply/", {"body": "Call me on 07700 900123"}
        )
        assert response.status_code == 302
