"""Community settings at /mod/communities/: a community's moderators (staff: every
community) keep its description and guidelines, its new-account hold and its other
names; every change is one audit row with the acting role; a community that is not
theirs is a 404; bad input is a 400 that keeps what was typed."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community import services
from community.models import Community, CommunityAlias
from discussions import services as discussion_services
from discussions.models import Discussion, Visibility
from moderation.models import Appeal, ModerationAction

LIST = "/mod/communities/"
MECFS = "/mod/communities/mecfs/"
DETAILS = MECFS + "details/"
HOLD = MECFS + "hold/"
ALIASES = MECFS + "aliases/"


def decide_url(alias: CommunityAlias, hashtag: str = "mecfs") -> str:
    return f"/mod/communities/{hashtag}/aliases/{alias.pk}/decide/"


def settings_rows() -> list[ModerationAction]:
    kinds = (ModerationAction.Kind.COMMUNITY_SETTINGS, ModerationAction.Kind.ALIAS)
    return list(ModerationAction.objects.filter(kind__in=kinds).order_by("pk"))


@pytest.fixture
def proposal(members, mecfs) -> CommunityAlias:
    return services.alias_propose(acting_user=members[0], community=mecfs, name="myalgic")


# --- Services -----------------------------------------------------------------------------


def test_changing_details_writes_one_audit_row_with_both_versions_and_the_role(moderator, mecfs):
    services.community_update_details(
        acting_user=moderator,
        community=mecfs,
        description="  Pacing, research and company.  ",
        guidelines="Be kind\n\n  No medical   advice \nNo personal data\nNo selling",
    )

    mecfs.refresh_from_db()
    assert mecfs.description == "Pacing, research and company."
    assert mecfs.guideline_list() == ["Be kind", "No medical advice", "No personal data", "No selling"]
    [row] = settings_rows()
    assert row.actor == moderator and row.community == mecfs
    assert row.before["guidelines"] == ["Be kind", "No medical advice", "No personal data"]
    assert row.after["guidelines"][-1] == "No selling"
    assert row.after["changed"] == ["description", "guidelines"]
    assert row.after["role"] == "community moderator"
    assert row.reason == "Changed the description and the guidelines."


def test_saving_unchanged_details_writes_nothing(moderator, mecfs):
    services.community_update_details(
        acting_user=moderator, community=mecfs, description=mecfs.description, guidelines=mecfs.guidelines
    )
    assert settings_rows() == []


def test_staff_act_on_every_community_and_are_logged_as_staff(staff, pots):
    services.community_set_new_account_hold(acting_user=staff, community=pots, hold_posts=2, days=14)

    pots.refresh_from_db()
    assert (pots.new_account_hold_posts, pots.new_account_days) == (2, 14)
    [row] = settings_rows()
    assert row.after == {"hold_posts": 2, "days": 14, "changed": ["new-account hold"], "role": "staff"}
    assert row.before == {"hold_posts": 0, "days": 0}
    assert "first 2 posts of accounts younger than 14 days" in row.reason


@pytest.mark.parametrize(
    ("hold_posts", "days", "field"), [(51, 0, "hold_posts"), (-1, 0, "hold_posts"), (0, 91, "days"), (3, -2, "days")]
)
def test_holds_out_of_bounds_are_refused(moderator, mecfs, hold_posts, days, field):
    with pytest.raises(ValidationError) as refused:
        services.community_set_new_account_hold(
            acting_user=moderator, community=mecfs, hold_posts=hold_posts, days=days
        )
    assert field in refused.value.error_dict
    assert settings_rows() == []


def test_too_many_or_too_long_guidelines_are_refused(moderator, mecfs):
    with pytest.raises(ValidationError, match="30 guidelines"):
        services.community_update_details(
            acting_user=moderator, community=mecfs, description="", guidelines="\n".join(["Rule"] * 31)
        )
    with pytest.raises(ValidationError, match="Guideline 2 is too long"):
        services.community_update_details(
            acting_user=moderator, community=mecfs, description="", guidelines="Be kind\n" + "x" * 301
        )


def test_a_guideline_number_an_open_appeal_cites_cannot_be_dropped(login, moderator, members, mecfs):
    removal = ModerationAction.objects.create(
        actor=moderator, kind=ModerationAction.Kind.REMOVE, community=mecfs, guideline=3
    )
    appeal = Appeal.objects.create(action=removal, appellant=members[0], text="It was not personal data.")
    client = login(moderator)
    assert "cited guidelines up to number 3" in client.get(MECFS).content.decode()

    response = client.post(DETAILS, {"description": "", "guidelines": "Be kind\nNo medical advice"})

    assert response.status_code == 400
    assert "keep at least 3 guidelines until the appeal is decided" in response.content.decode()
    # Rewording keeps the numbers: allowed.
    services.community_update_details(
        acting_user=moderator, community=mecfs, description="", guidelines="Be kind\nNo advice\nNo personal data"
    )
    Appeal.objects.filter(pk=appeal.pk).update(status=Appeal.Status.UPHELD)
    services.community_update_details(acting_user=moderator, community=mecfs, description="", guidelines="Be kind")
    mecfs.refresh_from_db()
    assert mecfs.guideline_list() == ["Be kind"]


def test_services_refuse_members_and_moderators_of_another_community(members, pots_moderator, mecfs, proposal):
    member = members[0]
    for actor in (member, pots_moderator):
        with pytest.raises(PermissionDenied):
            services.community_update_details(acting_user=actor, community=mecfs, description="x", guidelines="")
        with pytest.raises(PermissionDenied):
            services.community_set_new_account_hold(acting_user=actor, community=mecfs, hold_posts=1, days=1)
        with pytest.raises(PermissionDenied):
            services.alias_add(acting_user=actor, community=mecfs, name="fatigue")
        with pytest.raises(PermissionDenied):
            services.alias_decide(acting_user=actor, alias=proposal, accept=True)
    assert settings_rows() == []


def test_deciding_and_adding_names_are_audited_with_the_role(moderator, mecfs, proposal):
    services.alias_decide(acting_user=moderator, alias=proposal, accept=True)
    services.alias_add(acting_user=moderator, community=mecfs, name="#ME")

    decided, added = settings_rows()
    assert decided.kind == added.kind == ModerationAction.Kind.ALIAS
    assert (decided.before["status"], decided.after["status"]) == ("proposed", "accepted")
    assert decided.reason == "Accepted #myalgic." and decided.after["role"] == "community moderator"
    assert added.after == {"alias": "me", "status": "accepted", "role": "community moderator"}
    assert CommunityAlias.objects.get(name="me").decided_by == moderator


def test_adding_a_name_that_was_declined_accepts_it_in_place(moderator, mecfs, proposal):
    services.alias_decide(acting_user=moderator, alias=proposal, accept=False)
    services.alias_add(acting_user=moderator, community=mecfs, name="myalgic")

    proposal.refresh_from_db()
    assert proposal.status == CommunityAlias.Status.ACCEPTED
    assert CommunityAlias.objects.filter(community=mecfs, name="myalgic").count() == 1
    assert settings_rows()[-1].before["status"] == "declined"


# --- Who may open the screens -------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_sign_in(client, mecfs):
    for path in (LIST, MECFS):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(HOLD, {"hold_posts": 1, "days": 1}).status_code == 302


def test_members_get_404_everywhere(login, members, mecfs, proposal):
    client = login(members[0])
    assert client.get(LIST).status_code == 404
    assert client.get(MECFS).status_code == 404
    assert client.post(DETAILS, {"description": "x", "guidelines": ""}).status_code == 404
    assert client.post(HOLD, {"hold_posts": 1, "days": 1}).status_code == 404
    assert client.post(ALIASES, {"name": "fatigue"}).status_code == 404
    assert client.post(decide_url(proposal), {"decision": "accept"}).status_code == 404
    assert settings_rows() == []


def test_a_moderator_of_another_community_gets_404_for_it(login, pots_moderator, mecfs, pots, proposal):
    client = login(pots_moderator)
    listing = client.get(LIST).content.decode()
    assert "#pots" in listing and "#mecfs" not in listing
    assert client.get(MECFS).status_code == 404
    assert client.post(DETAILS, {"description": "x", "guidelines": ""}).status_code == 404
    assert client.post(HOLD, {"hold_posts": 1, "days": 1}).status_code == 404
    assert client.post(ALIASES, {"name": "fatigue"}).status_code == 404
    assert client.post(decide_url(proposal), {"decision": "accept"}).status_code == 404
    # Nor through their own community's address.
    assert client.post(decide_url(proposal, "pots"), {"decision": "accept"}).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == CommunityAlias.Status.PROPOSED
    assert settings_rows() == []


def test_staff_see_and_change_every_community(login, staff, mecfs, pots, community_factory):
    community_factory("hidden", policy=Community.Policy.PRIVATE)
    client = login(staff)
    listing = client.get(LIST).content.decode()
    assert all(f"#{slug}" in listing for slug in ("mecfs", "pots", "hidden"))
    assert client.get("/mod/communities/hidden/").status_code == 200
    assert client.post("/mod/communities/pots/hold/", {"hold_posts": "3", "days": "0"}).status_code == 302
    pots.refresh_from_db()
    assert pots.new_account_hold_posts == 3


def test_an_unknown_or_impossible_hashtag_is_404(login, moderator, mecfs):
    client = login(moderator)
    assert client.get("/mod/communities/nosuch/").status_code == 404
    assert client.get("/mod/communities/bad%00tag/").status_code == 404


# --- The screens --------------------------------------------------------------------------


def test_the_list_is_in_the_moderation_navigation_and_counts_waiting_names(login, moderator, mecfs, proposal):
    client = login(moderator)
    assert f'href="{LIST}"' in client.get("/mod/").content.decode()
    html = client.get(LIST).content.decode()
    assert 'href="/mod/communities/" aria-current="page"' in html
    assert f'href="{MECFS}"' in html
    assert "1 name proposal waiting" in html
    assert "3 guidelines" in html


def test_the_list_costs_the_same_queries_however_many_communities(login, staff, community_factory):
    client = login(staff)
    community_factory("one")
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for slug in ("two", "three", "four"):
        community_factory(slug)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) == len(few)


def test_the_settings_screen_shows_what_is_set_now(login, moderator, mecfs, proposal):
    mecfs.new_account_hold_posts, mecfs.new_account_days = 2, 7
    mecfs.save()
    html = login(moderator).get(MECFS).content.decode()
    assert "<li>No medical advice</li>" in html
    assert "first 2 posts of accounts younger than 7 days" in html
    assert "#cfs" in html and "#myalgic" in html
    assert "removal notices cite them by number" in html
    assert 'value="2"' in html and 'value="7"' in html


def test_only_the_oldest_proposals_are_listed_with_how_many_wait(login, moderator, members, mecfs, monkeypatch):
    monkeypatch.setattr("moderation.community_views.PROPOSALS_SHOWN", 2)
    for name in ("first", "second", "third"):
        services.alias_propose(acting_user=members[0], community=mecfs, name=name)

    html = login(moderator).get(MECFS).content.decode()

    assert "Proposed by members (3)" in html
    assert "The 2 oldest of 3 are shown" in html
    assert "#first" in html and "#second" in html and "#third" not in html


def test_saving_details_redirects_back_with_a_message(login, moderator, mecfs):
    client = login(moderator)
    response = client.post(DETAILS, {"description": "New words", "guidelines": "Be kind\nBe brief"}, follow=True)

    assert response.redirect_chain == [(MECFS, 302)]
    assert "Description and guidelines saved." in response.content.decode()
    mecfs.refresh_from_db()
    assert mecfs.guideline_list() == ["Be kind", "Be brief"]
    assert '<li id="guideline-2">Be brief</li>' in client.get(mecfs.get_absolute_url()).content.decode()


def test_bad_details_are_a_400_that_keeps_what_was_typed(login, moderator, mecfs):
    typed = "Be kind\n" + "My very long guideline " * 20
    response = login(moderator).post(DETAILS, {"description": "Kept description", "guidelines": typed})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Guideline 2 is too long" in html
    assert "Kept description" in html and "My very long guideline" in html
    mecfs.refresh_from_db()
    assert mecfs.guideline_list() == ["Be kind", "No medical advice", "No personal data"]


@pytest.mark.parametrize(
    ("posted", "error"),
    [
        ({"hold_posts": "51", "days": "0"}, "less than or equal to 50"),
        ({"hold_posts": "2", "days": "365"}, "less than or equal to 90"),
        ({"hold_posts": "two", "days": "7"}, "Enter a whole number"),
        ({"hold_posts": "-1", "days": "7"}, "greater than or equal to 0"),
    ],
)
def test_bad_holds_are_a_400_that_keeps_what_was_typed(login, moderator, mecfs, posted, error):
    response = login(moderator).post(HOLD, posted)

    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert f'value="{posted["days"]}"' in html
    mecfs.refresh_from_db()
    assert (mecfs.new_account_hold_posts, mecfs.new_account_days) == (0, 0)
    assert settings_rows() == []


def test_saving_a_hold_redirects_with_what_it_does(login, moderator, mecfs):
    response = login(moderator).post(HOLD, {"hold_posts": "0", "days": "10"}, follow=True)

    assert response.redirect_chain == [(MECFS, 302)]
    assert "every post of accounts younger than 10 days waits for a moderator" in response.content.decode()


def test_adding_a_name_from_the_screen(login, moderator, mecfs, client):
    response = login(moderator).post(ALIASES, {"name": "#Fatigue"}, follow=True)

    assert response.redirect_chain == [(MECFS, 302)]
    assert "#fatigue is now another name for #mecfs" in response.content.decode()
    assert client.get("/c/fatigue/")["Location"] == "/c/mecfs/"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("pots", "#pots is already a community."),
        ("cfs", "#cfs is already another name for a community."),
        ("new", "#new is reserved by the site."),
        ("not a tag!", "letters"),
    ],
)
def test_a_name_that_clashes_is_a_form_error_that_keeps_it(login, moderator, mecfs, pots, name, error):
    response = login(moderator).post(ALIASES, {"name": name})

    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert f'value="{name}"' in html
    assert settings_rows() == []


def test_a_name_a_hidden_private_community_holds_is_not_named(login, moderator, mecfs, community_factory):
    community_factory("secretcircle", policy=Community.Policy.PRIVATE)
    response = login(moderator).post(ALIASES, {"name": "secretcircle"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "#secretcircle is not available." in html
    assert "already a community" not in html


def test_approving_and_declining_proposals_from_the_screen(login, moderator, members, mecfs, proposal):
    other = services.alias_propose(acting_user=members[1], community=mecfs, name="fibro")
    client = login(moderator)

    accepted = client.post(decide_url(proposal), {"decision": "accept"}, follow=True)
    declined = client.post(decide_url(other), {"decision": "decline"}, follow=True)

    assert "#myalgic is now another name for #mecfs" in accepted.content.decode()
    assert "#fibro was declined for #mecfs" in declined.content.decode()
    assert [row.after["status"] for row in settings_rows()] == ["accepted", "declined"]
    assert client.post(decide_url(proposal), {"decision": "decline"}).status_code == 400
    assert client.post(decide_url(other), {"decision": "maybe"}).status_code == 400


def test_the_log_shows_the_changes_with_the_acting_role(login, moderator, mecfs, proposal):
    services.community_set_new_account_hold(acting_user=moderator, community=mecfs, hold_posts=1, days=3)
    services.alias_decide(acting_user=moderator, alias=proposal, accept=True)

    html = login(moderator).get("/mod/log/?community=mecfs").content.decode()
    assert "Changed a community&#x27;s settings in #mecfs" in html
    assert "Decided another name for a community in #mecfs" in html
    assert "(community moderator)" in html
    assert "Accepted #myalgic." in html
    assert "proposed → accepted" in html


# --- Held posts follow the settings -------------------------------------------------------


def _post_as(client, title: str) -> Discussion:
    client.post(
        "/d/new/", {"title": title, "body": "Hello, I am new here.", "hashtags": "mecfs", "visibility": "community"}
    )
    return Discussion.objects.get(title=title)


def test_a_new_members_post_is_held_once_a_hold_is_set(login, moderator, members, mecfs):
    newcomer = members[0]
    assert _post_as(login(newcomer), "Before any hold").status == Discussion.Status.PUBLISHED

    login(moderator).post(HOLD, {"hold_posts": "0", "days": "30"})
    held = _post_as(login(newcomer), "After the hold")

    assert held.status == Discussion.Status.HELD
    queue = login(moderator).get("/mod/?community=mecfs").content.decode()
    assert "After the hold" in queue


def test_a_hold_by_posts_alone_holds_only_the_first_posts(login, moderator, user_factory, mecfs, add_member):
    veteran = user_factory("old", display_name="Old hand")
    veteran.date_joined = timezone.now() - timedelta(days=900)
    veteran.save()
    add_member(veteran, mecfs)
    services.community_set_new_account_hold(acting_user=moderator, community=mecfs, hold_posts=1, days=0)

    client = login(veteran)
    first, second = _post_as(client, "My first post"), _post_as(client, "My second post")

    assert first.status == Discussion.Status.HELD
    assert second.status == Discussion.Status.PUBLISHED


def test_an_old_account_is_not_held_by_an_age_hold(moderator, user_factory, mecfs, add_member):
    veteran = user_factory("old", display_name="Old hand")
    veteran.date_joined = timezone.now() - timedelta(days=40)
    veteran.save()
    add_member(veteran, mecfs)
    services.community_set_new_account_hold(acting_user=moderator, community=mecfs, hold_posts=5, days=30)

    discussion = discussion_services.discussion_create(
        author=veteran, title="Hi", body="Hello", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    assert discussion.status == Discussion.Status.PUBLISHED
