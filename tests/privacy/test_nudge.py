"""The nudge before posting identifying details to a public discussion."""

import re

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
        for choice in ("Check my text again", "Make it community-only", "Post it as it is"):
            assert choice in html
        assert 'name="privacy_confirm"' in html
        assert "alice.private@example.com" in html
        assert 'value="Things that help"' in html
        assert 'value="tiredness"' in html

    def test_it_highlights_each_detail_in_the_text_the_member_typed(self, world, alice):
        html = self._new(
            alice, title="Jane at 14 Old Mill Road", body="Mail alice.private@example.com"
        ).content.decode()

        assert "<mark>14 Old Mill Road</mark>" in html
        assert "<mark>alice.private@example.com</mark>" in html

    def test_the_highlighted_text_is_escaped(self, world, alice):
        html = self._new(alice, body="<b>x</b> alice.private@example.com").content.decode()

        assert "&lt;b&gt;x&lt;/b&gt; <mark>alice.private@example.com</mark>" in html

    def test_the_nudge_offers_the_community_level_by_its_hashtag(self, world, alice):
        html = self._new(alice).content.decode()

        assert "Only members of #cnrycomm" in html
        assert "Make it members-only" not in html
        assert 'value="members"' not in html.split('class="privacy-nudge"')[1].split("</div>")[0]

    def test_post_anonymously_is_no_longer_a_way_to_publish_the_details(self, world, alice):
        response = self._new(alice, privacy_choice="anonymous", acknowledged_privacy="1")

        assert response.status_code == 200
        assert not self._created(world).exists()
        assert "Post anonymously</button>" not in response.content.decode()

    def test_posting_as_is_needs_the_explicit_confirmation(self, world, alice):
        response = self._new(alice, privacy_choice="anyway", acknowledged_privacy="1")

        assert response.status_code == 200
        assert not self._created(world).exists()
        assert "tick the box to confirm" in response.content.decode()
        assert "alice.private@example.com" in response.content.decode()

    def test_post_it_as_it_is_with_the_confirmation_publishes_as_chosen(self, world, alice):
        nudge = self._new(alice).content.decode()
        reviewed = re.search(r'name="privacy_reviewed" value="([^"]*)"', nudge).group(1)

        response = self._new(alice, privacy_choice="anyway", privacy_confirm="1", privacy_reviewed=reviewed)

        assert response.status_code == 302
        created = self._created(world).get()
        assert (created.visibility, created.is_anonymous) == (Visibility.PUBLIC, False)

    def test_a_detail_added_after_confirming_is_nudged_again(self, world, alice):
        nudge = self._new(alice).content.decode()
        reviewed = re.search(r'name="privacy_reviewed" value="([^"]*)"', nudge).group(1)
        body = "Email me at alice.private@example.com or ring 07700 900123"

        response = self._new(alice, body=body, privacy_choice="anyway", privacy_confirm="1", privacy_reviewed=reviewed)

        assert response.status_code == 200
        assert not self._created(world).exists()
        assert "<mark>07700 900123</mark>" in response.content.decode()

    def test_an_edit_that_keeps_a_detail_is_checked_again(self, world, alice):
        response = self._new(alice, body="Still alice.private@example.com", acknowledged_privacy="1")

        assert response.status_code == 200
        assert not self._created(world).exists()

    def test_check_my_text_again_posts_once_the_details_are_gone(self, world, alice):
        response = self._new(alice, body="Message me here instead.", privacy_choice="edit")

        assert response.status_code == 302
        assert self._created(world).get().visibility == Visibility.PUBLIC

    def test_make_it_community_only_narrows_the_audience_to_its_communities(self, world, alice):
        response = self._new(alice, privacy_choice="community")

        assert response.status_code == 302
        assert self._created(world).get().visibility == Visibility.COMMUNITY

    def test_a_members_only_post_is_not_nudged(self, world, alice):
        assert self._new(alice, visibility="members").status_code == 302

    def test_a_public_post_without_details_is_not_nudged(self, world, alice):
        assert self._new(alice, body="Rest, pacing and patience.").status_code == 302

    def test_a_reply_to_a_public_discussion_is_nudged_and_posted_only_after_confirming(self, world):
        client = world.client("member")
        url = f"/d/{world.posts['public'].pk}/reply/"
        body = "Call me on 07700 900123"

        first = client.post(url, {"body": body, "anonymous": "on"})
        html = first.content.decode()
        assert first.status_code == 200
        assert "a phone number" in html
        assert "<mark>07700 900123</mark>" in html
        assert "Make it community-only" not in html
        assert body in html
        assert not Reply.objects.filter(body=body).exists()

        one_click = client.post(url, {"body": body, "privacy_choice": "anonymous", "acknowledged_privacy": "1"})
        assert one_click.status_code == 200
        assert not Reply.objects.filter(body=body).exists()

        reviewed = re.search(r'name="privacy_reviewed" value="([^"]*)"', html).group(1)
        confirmed = client.post(
            url,
            {
                "body": body,
                "anonymous": "on",
                "privacy_choice": "anyway",
                "privacy_confirm": "1",
                "privacy_reviewed": reviewed,
            },
        )
        assert confirmed.status_code == 302
        assert Reply.objects.get(body=body).is_anonymous is True

    def test_a_reply_to_a_members_only_discussion_is_not_nudged(self, world):
        response = world.client("member").post(
            f"/d/{world.posts['members'].pk}/reply/", {"body": "Call me on 07700 900123"}
        )
        assert response.status_code == 302
