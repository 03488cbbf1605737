"""/mod/members/: sanctions in force with "Lift", and private member notes, per role and across communities."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.data_export import data_export_contents
from community.models import Membership
from moderation.member_actions import member_ban, member_mute, member_note_add, member_suspend, member_warn
from moderation.models import MemberNote, ModerationAction, ModerationNotice, Sanction

MEMBERS = "/mod/members/"


@pytest.fixture
def pots_member(user_factory, pots):
    user = user_factory("pat", display_name="Pat")
    Membership.objects.create(user=user, community=pots, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def sanctions(moderator, pots_moderator, staff, members, pots, pots_member, mecfs):
    """A ban and a mute in #mecfs, a ban in #pots, a site-wide suspension, and a warning."""
    author, other = members
    return {
        "mecfs_ban": Sanction.objects.get(
            pk=member_ban(acting_user=moderator, user=author, community=mecfs, reason="Selling pills").after[
                "sanction_id"
            ]
        ),
        "mecfs_mute": Sanction.objects.get(
            pk=member_mute(acting_user=moderator, user=other, community=mecfs, days=3, reason="Heated").after[
                "sanction_id"
            ]
        ),
        "pots_ban": Sanction.objects.get(
            pk=member_ban(acting_user=pots_moderator, user=pots_member, community=pots, reason="Spam").after[
                "sanction_id"
            ]
        ),
        "suspension": Sanction.objects.get(
            pk=member_suspend(acting_user=staff, user=pots_member, reason="Threats").after["sanction_id"]
        ),
        "warning": member_warn(acting_user=moderator, user=other, community=mecfs, reason="Be kind"),
    }


def lift_url(sanction: Sanction) -> str:
    return reverse("moderation:sanction_lift", args=[sanction.pk])


# --- Who reaches the page ---------------------------------------------------------------


def test_the_page_is_a_404_for_members_and_outsiders_and_asks_visitors_to_sign_in(client, login, member, outsider):
    assert client.get(MEMBERS).status_code == 302
    assert login(member).get(MEMBERS).status_code == 404
    assert login(outsider).get(MEMBERS).status_code == 404


def test_moderators_and_staff_reach_it_from_the_moderation_navigation(login, moderator, staff):
    for user in (moderator, staff):
        queue = login(user).get("/mod/").content.decode()
        assert f'href="{MEMBERS}"' in queue
        page = login(user).get(MEMBERS)
        assert page.status_code == 200
        assert 'aria-current="page">Muted and banned' in page.content.decode()


def test_a_moderator_sees_only_their_communities_sanctions(login, moderator, pots_moderator, sanctions):
    html = login(moderator).get(MEMBERS).content.decode()
    assert "Selling pills" in html and "Heated" in html
    assert "Spam" not in html and "Threats" not in html
    assert "Be kind" not in html  # a warning has nothing to lift
    assert f"sanction-{sanctions['pots_ban'].pk}" not in html

    pots_html = login(pots_moderator).get(MEMBERS).content.decode()
    assert "Spam" in pots_html and "Selling pills" not in pots_html and "Threats" not in pots_html


def test_staff_see_every_community_and_site_wide_suspensions(login, staff, sanctions):
    html = login(staff).get(MEMBERS).content.decode()
    for words in ("Selling pills", "Heated", "Spam", "Threats"):
        assert words in html


def test_the_community_filter_narrows_and_refuses_a_community_not_theirs(login, moderator, staff, sanctions):
    client = login(staff)
    html = client.get(MEMBERS + "?community=pots").content.decode()
    assert "Spam" in html and "Selling pills" not in html and "Threats" not in html
    assert login(moderator).get(MEMBERS + "?community=pots").status_code == 404
    assert login(moderator).get(MEMBERS + "?community=nosuch").status_code == 404


def test_expired_and_lifted_sanctions_are_not_listed(login, moderator, sanctions):
    Sanction.objects.filter(pk=sanctions["mecfs_mute"].pk).update(until=timezone.now() - timedelta(minutes=1))
    Sanction.objects.filter(pk=sanctions["mecfs_ban"].pk).update(lifted_at=timezone.now())
    html = login(moderator).get(MEMBERS).content.decode()
    assert "Heated" not in html and "Selling pills" not in html
    assert "No one is muted, banned or suspended here." in html


# --- Lift through the real view ---------------------------------------------------------


def test_lifting_a_ban_is_audited_tells_the_member_and_lets_them_back(login, moderator, members, mecfs, sanctions):
    author, _ = members
    ban = sanctions["mecfs_ban"]
    response = login(moderator).post(lift_url(ban), {"reason": "Apologised", "filter": "mecfs"})
    assert response.status_code == 302
    assert response["Location"] == MEMBERS + "?community=mecfs"
    ban.refresh_from_db()
    assert ban.lifted_at is not None
    assert not Membership.objects.filter(user=author, community=mecfs, status=Membership.Status.BANNED).exists()
    action = ModerationAction.objects.get(kind=ModerationAction.Kind.LIFT)
    assert (action.actor, action.target_user, action.community, action.reason) == (
        moderator,
        author,
        mecfs,
        "Apologised",
    )
    notice = ModerationNotice.objects.get(user=author, action=action)
    assert notice.message == "A moderator lifted the ban on your account."


def test_a_second_lift_is_already_handled_calmly(login, moderator, other_moderator, sanctions):
    mute = sanctions["mecfs_mute"]
    assert login(other_moderator).post(lift_url(mute), {"reason": ""}).status_code == 302
    response = login(moderator).post(lift_url(mute), {"reason": "Me too"}, follow=True)
    assert response.status_code == 200
    assert "Already handled: this was already lifted." in response.content.decode()
    assert ModerationAction.objects.filter(kind=ModerationAction.Kind.LIFT).count() == 1


def test_lifting_out_of_scope_is_a_404_and_changes_nothing(login, moderator, pots_moderator, member, sanctions):
    assert login(moderator).post(lift_url(sanctions["pots_ban"]), {}).status_code == 404
    assert login(moderator).post(lift_url(sanctions["suspension"]), {}).status_code == 404
    assert login(pots_moderator).post(lift_url(sanctions["mecfs_ban"]), {}).status_code == 404
    assert login(member).post(lift_url(sanctions["mecfs_ban"]), {}).status_code == 404
    assert login(moderator).post(reverse("moderation:sanction_lift", args=[999999]), {}).status_code == 404
    assert not Sanction.objects.filter(lifted_at__isnull=False).exists()


def test_staff_lift_a_suspension(login, staff, sanctions):
    assert login(staff).post(lift_url(sanctions["suspension"]), {"reason": "Reviewed"}).status_code == 302
    sanctions["suspension"].refresh_from_db()
    assert sanctions["suspension"].lifted_at is not None


def test_a_too_long_reason_is_a_400_keeping_what_was_typed(login, moderator, sanctions):
    typed = "x" * 501
    response = login(moderator).post(lift_url(sanctions["mecfs_ban"]), {"reason": typed})
    assert response.status_code == 400
    html = response.content.decode()
    assert typed in html and 'role="alert"' in html
    sanctions["mecfs_ban"].refresh_from_db()
    assert sanctions["mecfs_ban"].lifted_at is None


def test_lift_is_post_only(login, moderator, sanctions):
    assert login(moderator).get(lift_url(sanctions["mecfs_ban"])).status_code == 405


# --- Member notes -----------------------------------------------------------------------


def note_post(client, **data):
    return client.post(reverse("moderation:member_note_add"), data)


def test_a_moderator_keeps_a_note_and_their_co_moderators_and_staff_read_it(
    login, moderator, other_moderator, pots_moderator, staff, members, mecfs
):
    author, _ = members
    response = note_post(login(moderator), member="alice", community="mecfs", text="Second spam   warning  given")
    assert response.status_code == 302
    note = MemberNote.objects.get()
    assert (note.member, note.community, note.author, note.text) == (
        author,
        mecfs,
        moderator,
        "Second spam warning given",
    )
    assert "Second spam warning given" in login(other_moderator).get(MEMBERS).content.decode()
    assert "Second spam warning given" in login(staff).get(MEMBERS).content.decode()
    assert "Second spam warning given" not in login(pots_moderator).get(MEMBERS).content.decode()


def test_notes_stay_in_their_community(login, moderator, pots_moderator, pots_member, pots, members, mecfs):
    author, _ = members
    member_note_add(acting_user=pots_moderator, member=pots_member, community=pots, text="POTS-only note")
    member_note_add(acting_user=moderator, member=author, community=mecfs, text="MECFS-only note")
    mecfs_html = login(moderator).get(MEMBERS).content.decode()
    assert "MECFS-only note" in mecfs_html and "POTS-only note" not in mecfs_html
    pots_html = login(pots_moderator).get(MEMBERS).content.decode()
    assert "POTS-only note" in pots_html and "MECFS-only note" not in pots_html


def test_a_note_in_a_community_not_theirs_is_refused_and_the_text_kept(login, pots_moderator, members):
    response = note_post(login(pots_moderator), member="alice", community="mecfs", text="Sneaky note")
    assert response.status_code == 400
    html = response.content.decode()
    assert "You don&#x27;t moderate a community called #mecfs" in html
    assert "Sneaky note" in html
    assert not MemberNote.objects.exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"member": "nobody", "community": "mecfs", "text": "Hello"}, "No member has that username."),
        ({"member": "alice", "community": "mecfs", "text": "   "}, "This field is required."),
        ({"member": "alice", "community": "mecfs", "text": "y" * 501}, "at most 500 characters"),
        ({"member": "sam", "community": "mecfs", "text": "About me"}, "You can&#x27;t keep a note about yourself."),
    ],
)
def test_bad_notes_are_form_errors_not_500s(login, moderator, members, data, words):
    response = note_post(login(moderator), **data)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not MemberNote.objects.exists()


def test_members_cannot_add_notes(login, member, mecfs):
    assert note_post(login(member), member="alice", community="mecfs", text="x").status_code == 404


def test_notes_are_append_only(moderator, members, mecfs):
    note = member_note_add(acting_user=moderator, member=members[0], community=mecfs, text="Kept")
    note.text = "Changed"
    with pytest.raises(ValueError):
        note.save()


def test_the_member_action_page_shows_notes_from_the_moderators_communities_only(
    login, moderator, pots_moderator, pots, members, mecfs
):
    author, _ = members
    Membership.objects.create(user=author, community=pots)
    member_note_add(acting_user=moderator, member=author, community=mecfs, text="MECFS note on Alice")
    member_note_add(acting_user=pots_moderator, member=author, community=pots, text="POTS note on Alice")
    url = reverse("moderation:member_action", args=[author.pk, "ban"])
    html = login(moderator).post(url, {"community": "nosuch"}).content.decode()
    assert "MECFS note on Alice" in html and "POTS note on Alice" not in html


def test_the_member_never_sees_notes_on_the_site_but_their_export_carries_them_without_the_author(
    login, moderator, members, mecfs
):
    author, _ = members
    member_ban(acting_user=moderator, user=author, community=mecfs, reason="Spam")
    member_note_add(acting_user=moderator, member=author, community=mecfs, text="Watch for relapse into spam")
    client = login(author)
    for url in ("/mod/notices/", "/mod/flags/", MEMBERS, "/"):
        assert "Watch for relapse" not in client.get(url, follow=True).content.decode()
    exported = data_export_contents(author)["moderator_notes_about_you"]
    assert [(n["community"], n["text"]) for n in exported] == [("mecfs", "Watch for relapse into spam")]
    assert "author" not in exported[0] and "sam" not in str(exported)
    assert data_export_contents(moderator)["moderator_notes_about_you"] == []


def test_nul_bytes_in_the_filter_and_fields_are_a_404_or_a_form_error_never_a_500(login, moderator, sanctions):
    client = login(moderator)
    assert client.get(MEMBERS + "?community=me%00cfs").status_code == 404
    assert client.get(MEMBERS + "?member=al%00ice").status_code == 200
    lifted = client.post(lift_url(sanctions["mecfs_ban"]), {"reason": "ok", "filter": "me\x00cfs"})
    assert (lifted.status_code, lifted["Location"]) == (302, MEMBERS)
    note = note_post(client, member="al\x00ice", community="mecfs", text="a\x00b", filter="me\x00cfs")
    assert note.status_code == 400
    assert not MemberNote.objects.exists()
