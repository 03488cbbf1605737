"""Profile pages: what each viewer sees, and what never shows."""

import pytest
from django.utils import timezone
from taggit.models import Tag

from accounts.models import Profile
from accounts.services import profile_get_or_create
from community.models import Community, Membership
from discussions.models import Discussion, Reply

pytestmark = pytest.mark.django_db


def _community(slug: str, **fields) -> Community:
    return Community.objects.create(slug=slug, name=slug.upper(), tag=Tag.objects.create(name=slug), **fields)


def _discussion(author, title: str, **fields) -> Discussion:
    fields.setdefault("visibility", "public")
    return Discussion.objects.create(
        author=author, title=title, body="b", body_html="<p>b</p>", last_activity_at=timezone.now(), **fields
    )


def _reply(author, discussion, number: int, **fields) -> Reply:
    fields = {"body": "r", "body_html": "<p>r</p>", **fields}
    return Reply.objects.create(author=author, discussion=discussion, number=number, path=f"{number:06d}", **fields)


@pytest.fixture
def alice_profile(member) -> Profile:
    profile = profile_get_or_create(member)
    profile.bio = "Living with ME since 2019.\nPacing helps."
    profile.pronouns = "she/her"
    profile.role = Profile.Role.PATIENT
    profile.save()
    profile.conditions.set([_community("mecfs"), _community("pots")])
    return profile


@pytest.mark.parametrize(
    ("audience", "anonymous_sees", "member_sees"),
    [("everyone", True, True), ("members", False, True), ("nobody", False, False)],
)
def test_bio_and_conditions_follow_their_own_visibility(
    client, member, outsider, alice_profile, audience, anonymous_sees, member_sees
):
    alice_profile.bio_visibility = audience
    alice_profile.conditions_visibility = audience
    alice_profile.save()

    anonymous_page = client.get("/u/alice/").content.decode()
    assert ("Pacing helps." in anonymous_page) is anonymous_sees
    assert ("#mecfs" in anonymous_page) is anonymous_sees

    client.force_login(outsider)
    member_page = client.get("/u/alice/").content.decode()
    assert ("Pacing helps." in member_page) is member_sees
    assert ("#pots" in member_page) is member_sees

    client.force_login(member)
    own_page = client.get("/u/alice/").content.decode()
    assert "Pacing helps." in own_page
    assert "#mecfs" in own_page


def test_bio_and_conditions_can_differ(client, outsider, alice_profile):
    alice_profile.bio_visibility = "members"
    alice_profile.conditions_visibility = "nobody"
    alice_profile.save()
    client.force_login(outsider)
    page = client.get("/u/alice/").content.decode()
    assert "Pacing helps." in page
    assert "#mecfs" not in page


def test_conditions_default_to_only_me(member):
    assert profile_get_or_create(member).conditions_visibility == Profile.Audience.NOBODY


def test_a_private_community_is_not_revealed_to_those_who_cannot_know_it(client, outsider, alice_profile):
    secret = _community("hiv-support", policy=Community.Policy.PRIVATE)
    Membership.objects.create(user=alice_profile.user, community=secret)
    alice_profile.conditions.add(secret)
    alice_profile.conditions_visibility = "everyone"
    alice_profile.save()
    client.force_login(outsider)
    page = client.get("/u/alice/").content.decode()
    assert "#mecfs" in page
    assert "hiv-support" not in page


def test_the_bio_is_plain_text_with_line_breaks(client, member):
    profile = profile_get_or_create(member)
    profile.bio = "<script>alert(1)</script>\n**not bold**"
    profile.bio_visibility = "everyone"
    profile.save()
    page = client.get("/u/alice/").content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>**not bold**" in page


def test_anonymous_posts_never_appear_on_the_profile_nor_change_its_counts(client, member, outsider):
    shown = _discussion(member, "Visible discussion")
    _discussion(member, "Secret anonymous discussion", is_anonymous=True)
    other = _discussion(outsider, "Someone else's")
    _reply(member, other, 1)
    _reply(member, other, 2, is_anonymous=True, body="anon reply")

    client.force_login(outsider)
    page = client.get("/u/alice/").content.decode()
    assert "Visible discussion" in page
    assert "Secret anonymous discussion" not in page
    assert 'Discussions <span class="count">(1)</span>' in page
    assert 'Replies <span class="count">(1)</span>' in page
    assert "#reply-2" not in page
    assert shown.title in page


def test_the_profile_lists_only_what_the_viewer_may_read(client, member, outsider):
    _discussion(member, "Public one")
    _discussion(member, "Members only one", visibility="members")
    community = _community("eds")
    Membership.objects.create(user=member, community=community)
    community_only = _discussion(member, "Community only one", visibility="community")
    community_only.tags.add(community.tag)
    hidden = _discussion(member, "Hidden by moderators")
    Discussion.objects.filter(pk=hidden.pk).update(status="hidden")
    public = Discussion.objects.get(title="Public one")
    _reply(member, public, 1)
    _reply(member, public, 2, status="removed")
    _reply(member, community_only, 1, body="in community")

    anonymous_page = client.get("/u/alice/").content.decode()
    assert "Public one" in anonymous_page
    assert "Members only one" not in anonymous_page
    assert "Community only one" not in anonymous_page
    assert 'Replies <span class="count">(1)</span>' in anonymous_page

    client.force_login(outsider)
    member_page = client.get("/u/alice/").content.decode()
    assert "Members only one" in member_page
    assert "Community only one" not in member_page
    assert "Hidden by moderators" not in member_page
    assert 'Replies <span class="count">(1)</span>' in member_page


def test_an_unknown_or_deactivated_username_is_a_404(client, user_factory):
    assert client.get("/u/nobody-here/").status_code == 404
    user_factory("gone", is_active=False)
    assert client.get("/u/gone/").status_code == 404
    assert client.get("/professionals/nobody-here/").status_code == 404


def test_viewing_a_profile_never_creates_one(client, member):
    client.get("/u/alice/")
    assert not Profile.objects.filter(user=member).exists()


def test_the_settings_form_saves_every_choice(client, member):
    mecfs = _community("mecfs")
    client.force_login(member)
    response = client.post(
        "/settings/profile/",
        {
            "display_name": "Al",
            "role": "caregiver",
            "pronouns": "they/them",
            "bio": "Caring for my son.",
            "bio_visibility": "everyone",
            "conditions": [mecfs.pk],
            "conditions_visibility": "members",
            "conflict_of_interest": "",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    profile = Profile.objects.get(user=member)
    assert member.display_name == "Al"
    assert (profile.role, profile.pronouns, profile.bio_visibility) == ("caregiver", "they/them", "everyone")
    assert list(profile.conditions.all()) == [mecfs]


def test_a_private_community_the_member_cannot_see_cannot_be_chosen(client, member):
    secret = _community("secret", policy=Community.Policy.PRIVATE)
    client.force_login(member)
    response = client.post(
        "/settings/profile/",
        {
            "display_name": "Al",
            "bio_visibility": "members",
            "conditions": [secret.pk],
            "conditions_visibility": "members",
        },
    )
    assert response.status_code == 400
    assert not profile_get_or_create(member).conditions.exists()


def test_a_too_long_bio_is_refused_and_kept(client, member):
    client.force_login(member)
    long_bio = "spoon " * 200
    response = client.post(
        "/settings/profile/",
        {"display_name": "Al", "bio": long_bio, "bio_visibility": "members", "conditions_visibility": "members"},
    )
    assert response.status_code == 400
    assert "at most 1000 characters" in response.content.decode()
    assert "spoon spoon" in response.content.decode()


@pytest.mark.parametrize("name", ["Dr. Smith ✔ Verified clinician", "Nurse Jo ✅", "Dr Ray (verified)"])
def test_badge_lookalikes_are_refused_as_display_names(client, member, name):
    client.force_login(member)
    response = client.post(
        "/settings/profile/", {"display_name": name, "bio_visibility": "members", "conditions_visibility": "members"}
    )
    assert response.status_code == 400
    assert "Spoonful adds a badge itself" in response.content.decode()


def test_a_lookalike_name_already_stored_renders_as_plain_text_without_badge_styling(client, user_factory):
    user_factory("smith", display_name='Dr. Smith ✔ Verified <span class="pro-badge">x</span>')
    page = client.get("/u/smith/").content.decode()
    assert "Dr. Smith ✔ Verified &lt;span class=&quot;pro-badge&quot;&gt;x&lt;/span&gt;" in page
    assert 'class="pro-badge"' not in page


def test_the_profile_shows_the_badge_of_a_verified_member(client, verified_clinician):
    page = client.get("/u/drlee/").content.decode()
    assert 'class="pro-badge" href="/professionals/drlee/"' in page
    assert "Verified physician · UK" in page


def test_settings_pages_need_sign_in(client):
    for url in ("/settings/profile/", "/settings/avatar/", "/settings/verification/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_the_profile_page_query_count_does_not_grow_with_activity(
    client, verified_clinician, outsider, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count: int) -> None:
        for number in range(count):
            discussion = _discussion(verified_clinician, f"Discussion {number}", as_professional=True)
            _reply(verified_clinician, discussion, 1, as_professional=True)

    client.force_login(outsider)
    add(2)
    client.get("/u/drlee/")  # first request of the session records it
    with CaptureQueriesContext(connection) as few:
        client.get("/u/drlee/")
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/u/drlee/").content.decode()
    assert page.count('class="pro-badge"') == 41  # header + 20 discussions + 20 replies
