"""The Django admin is no second write path: it asks for two-factor sign-in on every
page, and it shows domain rows without changing them (changes go through the
product's screens, which audit them and announce them)."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Community, Membership
from discussions.models import Discussion, Visibility
from moderation.models import CrisisResource, KeywordRule, Sanction


@pytest.fixture
def superuser(user_factory):
    return user_factory("root", is_staff=True, is_superuser=True, two_factor=True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows(member, community_factory):
    """One row of each model the admin used to edit, with the field a POST tries to change."""
    community = community_factory("mecfs")
    discussion = Discussion.objects.create(
        author=member,
        title="Pacing on bad days",
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        visibility=Visibility.PUBLIC,
        last_activity_at=timezone.now(),
    )
    return {
        "discussion": (discussion, {"title": "Changed in the admin", "status": "removed", "author": member.pk}),
        "community": (community, {"name": "Changed", "policy": Community.Policy.PRIVATE}),
        "membership": (
            Membership.objects.create(user=member, community=community),
            {"user": member.pk, "community": community.pk, "role": "moderator", "status": "active"},
        ),
        "keywordrule": (KeywordRule.objects.create(pattern="spam"), {"pattern": "changed", "action": "flag"}),
        "crisisresource": (
            CrisisResource.objects.create(region="GB", name="Samaritans", phone="116 123"),
            {"region": "US", "name": "Changed", "phone": "000", "order": "0"},
        ),
        "sanction": (
            Sanction.objects.create(user=member, kind=Sanction.Kind.MUTE, until=timezone.now() + timedelta(days=1)),
            {"reason": "changed", "until_0": "", "until_1": "", "lifted_at_0": "2026-01-01", "lifted_at_1": "10:00"},
        ),
    }


def _snapshot(obj) -> dict:
    obj.refresh_from_db()
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def _admin_url(obj, view: str) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


@pytest.mark.parametrize("name", ["discussion", "community", "membership", "keywordrule", "crisisresource", "sanction"])
def test_posting_an_admin_change_form_changes_nothing(rows, superuser, name):
    obj, data = rows[name]
    before = _snapshot(obj)
    client = signed_in(superuser)

    shown = client.get(_admin_url(obj, "change"))
    changed = client.post(_admin_url(obj, "change"), data)
    deleted = client.post(_admin_url(obj, "delete"), {"post": "yes"})
    added = client.post(reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_add"), data)

    assert shown.status_code == 200  # still shown, read-only
    assert b'name="_save"' not in shown.content
    assert (changed.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    assert _snapshot(obj) == before
    assert type(obj).objects.count() == 1


def test_every_registered_domain_model_is_read_only(rf, superuser):
    request = rf.get("/admin/")
    request.user = superuser
    domain_apps = {"accounts", "community", "discussions", "moderation", "notifications", "taggit"}
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in domain_apps:
            continue
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None), inline
            assert not inline.has_change_permission(request), inline
            assert not inline.has_delete_permission(request), inline


@pytest.mark.parametrize("path", ["/admin/", "/admin/discussions/discussion/", "/admin/community/community/"])
def test_admin_sends_staff_without_two_factor_to_set_it_up(user_factory, path):
    root = user_factory("root", is_staff=True, is_superuser=True)

    response = signed_in(root).get(path)

    assert response.status_code == 302
    assert response.url == reverse("mfa_index")


def test_admin_change_form_refuses_staff_without_two_factor_before_anything_else(user_factory, rows):
    root = user_factory("root", is_staff=True, is_superuser=True)
    discussion, data = rows["discussion"]
    before = _snapshot(discussion)

    response = signed_in(root).post(_admin_url(discussion, "change"), data)

    assert response.status_code == 302
    assert response.url == reverse("mfa_index")
    assert _snapshot(discussion) == before


def test_admin_opens_for_staff_with_two_factor(superuser):
    assert signed_in(superuser).get("/admin/").status_code == 200


def test_admin_still_keeps_out_signed_out_visitors_and_members(client, member):
    assert client.get("/admin/").status_code == 302
    assert signed_in(member).get("/admin/").status_code != 200
