"""Keyword rules at /mod/rules/: community moderators keep their communities' rules,
staff also the site-wide ones; every change is audited with the acting role; a rule
that is not yours is a 404; the "try it" preview saves nothing."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from discussions import services
from discussions.models import Discussion, Visibility
from moderation.models import KeywordRule, ModerationAction
from moderation.screening import (
    keyword_rule_create,
    keyword_rule_delete,
    keyword_rule_preview,
    keyword_rule_update,
)

RULES = "/mod/rules/"
NEW = "/mod/rules/new/"


def edit_url(rule) -> str:
    return reverse("moderation:rule_edit", args=[rule.pk])


def delete_url(rule) -> str:
    return reverse("moderation:rule_delete", args=[rule.pk])


@pytest.fixture
def staff_2fa(user_factory):
    return user_factory("root", is_staff=True, two_factor=True)


@pytest.fixture
def mecfs_rule(moderator, mecfs):
    return keyword_rule_create(acting_user=moderator, community=mecfs, pattern="miracle cure", action="hold")


@pytest.fixture
def pots_rule(pots_moderator, pots):
    return keyword_rule_create(acting_user=pots_moderator, community=pots, pattern="salt pills", action="flag")


# --- Services ---------------------------------------------------------------------------


def test_each_change_writes_one_audit_row_with_the_acting_role(moderator, staff_2fa, mecfs):
    rule = keyword_rule_create(acting_user=moderator, community=mecfs, pattern=" ivermectin ", action="hold")
    keyword_rule_update(acting_user=moderator, rule=rule, community=mecfs, pattern="ivermectin", action="refuse")
    keyword_rule_delete(acting_user=staff_2fa, rule=rule)

    entries = list(ModerationAction.objects.filter(kind=ModerationAction.Kind.KEYWORD_RULE).order_by("pk"))
    assert [entry.after.get("change") for entry in entries] == ["added", "changed", "deleted"]
    assert [entry.after["role"] for entry in entries] == ["community moderator", "community moderator", "staff"]
    assert entries[0].after["pattern"] == "ivermectin" and entries[0].community == mecfs
    assert entries[1].before["action"] == "hold" and entries[1].after["action"] == "refuse"
    assert entries[2].before["pattern"] == "ivermectin"
    assert not KeywordRule.objects.exists()


def test_services_refuse_other_communities_and_site_wide_rules_to_moderators(
    moderator, pots_moderator, mecfs, pots, mecfs_rule
):
    with pytest.raises(PermissionDenied):
        keyword_rule_create(acting_user=moderator, community=None, pattern="spam")
    with pytest.raises(PermissionDenied):
        keyword_rule_create(acting_user=moderator, community=pots, pattern="spam")
    with pytest.raises(PermissionDenied):
        keyword_rule_update(acting_user=pots_moderator, rule=mecfs_rule, community=pots, pattern="x")
    with pytest.raises(PermissionDenied):
        keyword_rule_update(acting_user=moderator, rule=mecfs_rule, community=pots, pattern="x")
    with pytest.raises(PermissionDenied):
        keyword_rule_delete(acting_user=pots_moderator, rule=mecfs_rule)
    mecfs_rule.refresh_from_db()
    assert (mecfs_rule.pattern, mecfs_rule.community) == ("miracle cure", mecfs)
    assert ModerationAction.objects.filter(kind=ModerationAction.Kind.KEYWORD_RULE).count() == 1


def test_the_preview_says_what_the_rule_would_do():
    held = keyword_rule_preview(pattern="miracle cure", is_regex=False, action="hold", text="A MIRACLE  cure!")
    missed = keyword_rule_preview(pattern="miracle cure", is_regex=False, action="hold", text="miracles cured")
    refused = keyword_rule_preview(pattern="ivermect[i1]n", is_regex=True, action="refuse", text="ivermect1n works")
    assert held.matched and "held" in held.outcome
    assert not missed.matched and "not match" in missed.outcome
    assert refused.matched and "refused" in refused.outcome


# --- Pages: who may see and change what -------------------------------------------------


def test_members_and_signed_out_visitors_get_404_or_sign_in(client, login, member, mecfs_rule):
    assert client.get(RULES).status_code == 302
    client = login(member)
    assert client.get(RULES).status_code == 404
    assert client.get(NEW).status_code == 404
    assert client.get(edit_url(mecfs_rule)).status_code == 404
    assert client.post(delete_url(mecfs_rule)).status_code == 404
    assert KeywordRule.objects.filter(pk=mecfs_rule.pk).exists()


def test_the_rules_page_is_in_the_moderation_navigation(login, moderator, mecfs_rule):
    html = login(moderator).get("/mod/").content.decode()
    assert f'href="{RULES}"' in html
    page = login(moderator).get(RULES)
    assert page.status_code == 200
    assert "miracle cure" in page.content.decode() and "Hold the post for a moderator" in page.content.decode()


def test_a_moderator_of_one_community_cannot_see_or_change_anothers_rules(
    login, moderator, pots_moderator, mecfs_rule, pots_rule, pots
):
    client = login(pots_moderator)
    listing = client.get(RULES).content.decode()
    assert "salt pills" in listing and "miracle cure" not in listing
    assert client.get(edit_url(mecfs_rule)).status_code == 404
    changed = client.post(edit_url(mecfs_rule), {"community": "pots", "pattern": "x", "action": "flag"})
    assert changed.status_code == 404
    assert client.post(delete_url(mecfs_rule)).status_code == 404
    moved_in = client.post(NEW, {"community": "mecfs", "pattern": "sneaky", "action": "hold"})
    assert moved_in.status_code == 400 and not KeywordRule.objects.filter(pattern="sneaky").exists()
    mecfs_rule.refresh_from_db()
    assert mecfs_rule.pattern == "miracle cure"


def test_a_moderator_adds_edits_and_deletes_a_rule(login, moderator, mecfs):
    client = login(moderator)
    form = client.get(NEW).content.decode()
    assert "Site-wide" not in form and "#mecfs" in form

    added = client.post(NEW, {"community": "mecfs", "pattern": "Miracle cure", "action": "hold"})
    assert added.status_code == 302 and added.url == RULES
    rule = KeywordRule.objects.get()
    assert (rule.community, rule.pattern, rule.action, rule.created_by) == (mecfs, "Miracle cure", "hold", moderator)

    edited = client.post(
        edit_url(rule), {"community": "mecfs", "pattern": "miracle", "action": "refuse", "message": "No."}
    )
    assert edited.status_code == 302
    rule.refresh_from_db()
    assert (rule.pattern, rule.action, rule.message) == ("miracle", "refuse", "No.")

    assert client.post(delete_url(rule)).status_code == 302
    assert not KeywordRule.objects.exists()
    log = client.get("/mod/log/").content.decode()
    assert "Changed a keyword rule" in log and "(community moderator)" in log


def test_moderators_cannot_add_site_wide_rules_and_staff_can(login, moderator, staff_2fa, mecfs):
    refused = login(moderator).post(NEW, {"community": "", "pattern": "spam", "action": "flag"})
    assert refused.status_code == 400 and not KeywordRule.objects.exists()

    client = login(staff_2fa)
    assert "Site-wide (every community)" in client.get(NEW).content.decode()
    assert client.post(NEW, {"community": "", "pattern": "spam", "action": "flag"}).status_code == 302
    rule = KeywordRule.objects.get()
    assert rule.community is None
    assert ModerationAction.objects.get().after["role"] == "staff"
    assert "Site-wide" in client.get(RULES).content.decode()
    assert "spam" not in login(moderator).get(RULES).content.decode()
    assert login(moderator).get(edit_url(rule)).status_code == 404


@pytest.mark.parametrize(
    "data, error",
    [
        ({"pattern": "(?=cure)", "is_regex": "on"}, "Lookahead and lookbehind are not available"),
        ({"pattern": r"(cure)\1", "is_regex": "on"}, "Backreferences are not available"),
        ({"pattern": "x{1,5000}", "is_regex": "on"}, "at most 1000"),
        ({"pattern": "x" * 201}, "at most 200 characters"),
        ({"pattern": "   "}, "required"),
        ({"pattern": "[unclosed", "is_regex": "on"}, "not a valid pattern"),
    ],
)
def test_bad_patterns_come_back_as_form_errors_with_the_input_kept(login, moderator, mecfs, data, error):
    data = {"community": "mecfs", "action": "hold", "message": "Kept message", **data}
    response = login(moderator).post(NEW, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert error in html or error.lower() in html.lower()
    assert "Kept message" in html
    assert not KeywordRule.objects.exists()


def test_an_unknown_action_is_a_form_error(login, moderator, mecfs):
    response = login(moderator).post(NEW, {"community": "mecfs", "pattern": "spam", "action": "delete"})
    assert response.status_code == 400 and "spam" in response.content.decode()


def test_the_preview_on_the_form_saves_nothing(login, moderator, mecfs):
    data = {"community": "mecfs", "pattern": "miracle cure", "action": "hold", "sample": "Try this miracle cure!"}
    response = login(moderator).post(NEW, {**data, "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Matches." in html and "would be held" in html and "Nothing has been saved" in html
    assert "Try this miracle cure!" in html and 'value="miracle cure"' in html
    assert not KeywordRule.objects.exists() and not ModerationAction.objects.exists()

    missed = login(moderator).post(NEW, {**data, "sample": "nothing here", "preview": "1"}).content.decode()
    assert "No match." in missed


def test_a_rule_added_through_the_screen_holds_a_members_post(login, moderator, members, mecfs):
    login(moderator).post(NEW, {"community": "mecfs", "pattern": "miracle cure", "action": "hold"})
    author, _ = members

    discussion = services.discussion_create(
        author=author,
        title="Has anyone tried this?",
        body="Someone sold me a miracle cure.",
        hashtags=["mecfs"],
        visibility=Visibility.COMMUNITY,
    )

    assert discussion.status == Discussion.Status.HELD
    assert discussion.flags.get().detail.startswith("Held by keyword rule")


def test_a_rule_switched_off_is_kept_but_screens_nothing_until_switched_on(
    login, moderator, members, mecfs, mecfs_rule
):
    author, _ = members
    client = login(moderator)

    assert client.post(reverse("moderation:rule_switch", args=[mecfs_rule.pk]), {"on": "0"}).status_code == 302
    mecfs_rule.refresh_from_db()
    assert not mecfs_rule.is_active
    assert "Switch on" in client.get(RULES).content.decode()
    passed = services.discussion_create(
        author=author, title="A", body="a miracle cure", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    assert passed.status == Discussion.Status.PUBLISHED

    client.post(reverse("moderation:rule_switch", args=[mecfs_rule.pk]), {"on": "1"})
    held = services.discussion_create(
        author=author, title="B", body="a miracle cure", hashtags=["mecfs"], visibility=Visibility.COMMUNITY
    )
    assert held.status == Discussion.Status.HELD
    changes = ModerationAction.objects.filter(kind=ModerationAction.Kind.KEYWORD_RULE).order_by("pk")
    assert [entry.after["change"] for entry in changes] == ["added", "off", "on"]


def test_switching_anothers_rule_is_a_404(login, pots_moderator, mecfs_rule):
    response = login(pots_moderator).post(reverse("moderation:rule_switch", args=[mecfs_rule.pk]), {"on": "0"})
    assert response.status_code == 404
    mecfs_rule.refresh_from_db()
    assert mecfs_rule.is_active
