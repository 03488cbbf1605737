"""Delete my account (DA-04/05, AH-10): allauth's reauthentication first, posts
anonymised or deleted, sessions ended, sockets told, and no row anywhere still
holding the member's username, email or names."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.utils import timezone

from accounts.data_export import data_export_request
from accounts.models import DataExport, Profile, User
from accounts.services import block_create
from community.models import Membership
from discussions import events
from discussions.drafts import draft_save
from discussions.models import Discussion, Draft, Reaction, Reply, Revision, Visibility
from discussions.search import search_discussions
from moderation.models import ModerationAction
from notifications.models import HashtagFollow, Notification
from tests.helpers.users import PASSWORD

pytestmark = pytest.mark.django_db

USERNAME = "erasecnryuser"
EMAIL = "erasecnry-mail@example.org"
DISPLAY = "Erasefirst Eraselastqz"
POST_CANARY = "erasedpostcnry"
DELETE = "/settings/privacy/delete/"
REAUTHENTICATE = "/accounts/reauthenticate/"


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def leaver(world, user_factory):
    """A member with a bit of everything: posts, revisions, a profile with an avatar,
    an export, notifications, follows, blocks, and a moderation action about her post."""
    user = user_factory(USERNAME, email=EMAIL, display_name=DISPLAY, first_name="Erasefirst", last_name="Eraselastqz")
    Membership.objects.create(user=user, community=world.community)
    discussion = Discussion.objects.create(
        author=user,
        title=f"{POST_CANARY} title",
        body=f"{POST_CANARY} body",
        body_html=f"<p>{POST_CANARY} body</p>",
        visibility=Visibility.PUBLIC,
        last_activity_at=timezone.now(),
    )
    discussion.tags.add(world.community.tag)
    Revision.objects.create(discussion=discussion, title="old", body=f"{POST_CANARY} old", edited_by=user)
    Discussion.objects.filter(pk=discussion.pk).update(last_reply_number=2, published_reply_count=2)
    Reply.objects.create(
        discussion=discussion,
        author=world.users["member"],
        number=1,
        path="000001",
        body="carols own words",
        body_html="<p>carols own words</p>",
    )
    reply = Reply.objects.create(
        discussion=world.posts["public"],
        author=user,
        number=2,
        path="000002",
        body=f"{POST_CANARY} reply",
        body_html=f"<p>{POST_CANARY} reply</p>",
    )
    Discussion.objects.filter(pk=world.posts["public"].pk).update(last_reply_number=2)
    profile = Profile.objects.create(user=user, bio=f"{POST_CANARY} bio", avatar_kind=Profile.AvatarKind.UPLOAD)
    profile.avatar.save("me.png", ContentFile(b"\x89PNG fake"), save=True)
    export = data_export_request(user=user)
    Notification.objects.create(recipient=user, kind=Notification.Kind.MENTION, discussion=world.posts["public"])
    Notification.objects.create(
        recipient=world.users["member"], kind=Notification.Kind.MENTION, actor=user, reply=reply
    )
    HashtagFollow.objects.create(user=user, community=world.community)
    draft_save(user=user, key="new", title=f"{POST_CANARY} draft title", body=f"{POST_CANARY} draft body")
    block_create(blocker=user, blocked=world.users["blocked"])
    block_create(blocker=world.users["member"], blocked=user)
    ModerationAction.objects.create(
        actor=world.users["mod_this"],
        kind=ModerationAction.Kind.choices[0][0],
        discussion=discussion,
        target_user=user,
        reason=f"told {USERNAME} off",
        before={"body": f"{POST_CANARY} body"},
        after={"status": "removed"},
    )
    from tests.helpers.discovery import index_now

    index_now(discussion.pk)
    index_now(world.posts["public"].pk)
    return {
        "user": user,
        "discussion": discussion,
        "reply": reply,
        "avatar": profile.avatar.path,
        "export": export.file.path,
    }


def _client_for(user: User, *, reauthenticated: bool = True) -> Client:
    """A signed-in member; by default one who has just confirmed their password."""
    client = Client()
    client.force_login(user)
    if reauthenticated:
        response = client.post(f"{REAUTHENTICATE}?next={DELETE}", {"password": PASSWORD})
        assert response.status_code == 302, response
    return client


def _sweep() -> list[str]:
    """Every (model, field) whose stored text still holds one of the member's canaries."""
    needles = (USERNAME, EMAIL, "Erasefirst", "Eraselastqz", POST_CANARY)
    found = []
    for model in apps.get_models():
        text_fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        if not text_fields:
            continue
        for row in model.objects.all().values(*[f.attname for f in text_fields]):
            for name, value in row.items():
                if value is not None and any(needle.lower() in str(value).lower() for needle in needles):
                    found.append(f"{model._meta.label}.{name}")
    return found


def _delete(client: Client, posts: str, **extra):
    return client.post(DELETE, {"posts": posts, **extra})


@pytest.mark.parametrize("posts", ["delete", "anonymise"])
def test_deleting_the_account_leaves_no_row_naming_the_member(world, leaver, posts, django_capture_on_commit_callbacks):
    user = leaver["user"]
    client = _client_for(user)
    other_session = _client_for(user)
    assert Session.objects.count() >= 2

    with django_capture_on_commit_callbacks(execute=True):
        response = _delete(client, posts)

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not EmailAddress.objects.filter(email=EMAIL).exists()
    assert not Profile.objects.filter(user_id=user.pk).exists()
    assert not DataExport.objects.filter(user_id=user.pk).exists()
    assert not HashtagFollow.objects.filter(user_id=user.pk).exists()
    assert not Notification.objects.filter(recipient_id=user.pk).exists()
    assert not Draft.objects.filter(user_id=user.pk).exists()
    # Every session of hers has ended, not just this one.
    assert other_session.get("/settings/privacy/").status_code == 302
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)]
    # Files are gone.
    import os

    assert not os.path.exists(leaver["avatar"])
    assert not os.path.exists(leaver["export"])
    # The audit entry stays, without her text.
    action = ModerationAction.objects.get(discussion=leaver["discussion"])
    assert action.before == {} and action.after == {}
    if posts == "delete":
        assert _sweep() == []
    else:
        # Anonymised posts keep their text (that is the choice), and nothing else names her.
        assert {hit.split(".")[0] + "." + hit.split(".")[1] for hit in _sweep()} <= {
            "discussions.Discussion",
            "discussions.Reply",
            "discussions.Revision",
        }
        assert [h for h in _sweep() if not h.endswith((".title", ".body", ".body_html"))] == []


def test_delete_my_posts_leaves_numbered_tombstones_and_others_words_intact(
    world, leaver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _delete(_client_for(leaver["user"]), "delete")

    reply = Reply.objects.get(pk=leaver["reply"].pk)
    assert (reply.status, reply.number, reply.body, reply.body_html, reply.author) == ("deleted", 2, "", "", None)
    discussion = Discussion.objects.get(pk=leaver["discussion"].pk)
    assert (discussion.status, discussion.title, discussion.body) == ("deleted", "", "")
    assert Reply.objects.get(discussion=discussion, number=1).body == "carols own words"
    assert not Revision.objects.filter(discussion=discussion).exists()

    html = world.client("member").get(f"/d/{world.posts['public'].pk}/").content.decode()
    assert "Deleted by its author" in html
    assert POST_CANARY not in html
    assert world.client("member").get(f"/d/{discussion.pk}/").status_code == 404
    for viewer in (world.users["member"], world.users["staff"]):
        assert not search_discussions(viewer=viewer, query=POST_CANARY).results


def test_anonymise_keeps_posts_as_a_former_member(world, leaver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _delete(_client_for(leaver["user"]), "anonymise")

    html = world.client("member").get(f"/d/{leaver['discussion'].pk}/").content.decode()
    assert f"{POST_CANARY} body" in html
    assert "Former member" in html
    assert USERNAME not in html and DISPLAY not in html


def test_deleting_without_a_recent_reauthentication_asks_for_the_password_first(world, leaver):
    client = _client_for(leaver["user"], reauthenticated=False)

    page = client.get(DELETE)
    attempt = _delete(client, "delete", password=PASSWORD)

    for response in (page, attempt):
        assert response.status_code == 302
        assert response["Location"] == f"{REAUTHENTICATE}?next={DELETE.replace('/', '%2F')}"
    assert User.objects.filter(pk=leaver["user"].pk).exists()


def test_after_reauthenticating_the_member_comes_back_to_the_page_and_can_delete(
    world, leaver, django_capture_on_commit_callbacks
):
    client = _client_for(leaver["user"], reauthenticated=False)
    back = client.post(f"{REAUTHENTICATE}?next={DELETE}", {"password": PASSWORD})
    assert back["Location"] == DELETE

    page = client.get(DELETE).content.decode()
    assert 'name="password"' not in page  # the password was just asked for, once
    with django_capture_on_commit_callbacks(execute=True):
        response = _delete(client, "anonymise")

    assert response.status_code == 302
    assert not User.objects.filter(pk=leaver["user"].pk).exists()


def test_the_choice_made_before_a_stale_session_asked_for_the_password_is_kept(
    world, leaver, django_capture_on_commit_callbacks
):
    client = _client_for(leaver["user"], reauthenticated=False)
    _delete(client, "delete")  # suspended while the member confirms their password

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{REAUTHENTICATE}?next={DELETE}", {"password": PASSWORD})

    assert not User.objects.filter(pk=leaver["user"].pk).exists()
    assert Reply.objects.get(pk=leaver["reply"].pk).status == Reply.Status.DELETED


def test_a_wrong_password_deletes_nothing_and_says_why(world, leaver):
    client = _client_for(leaver["user"], reauthenticated=False)

    response = client.post(f"{REAUTHENTICATE}?next={DELETE}", {"password": "not it"})

    assert response.status_code == 200
    assert "incorrect password" in response.content.decode().lower()
    assert _delete(client, "delete").status_code == 302
    assert User.objects.filter(pk=leaver["user"].pk).exists()


def test_password_guesses_before_deleting_are_rate_limited(world, leaver, settings):
    settings.ACCOUNT_RATE_LIMITS = {"reauthenticate": "3/m/user"}
    client = _client_for(leaver["user"], reauthenticated=False)
    for guess in ("guess one", "guess two", "guess three"):
        client.post(f"{REAUTHENTICATE}?next={DELETE}", {"password": guess})

    right = client.post(f"{REAUTHENTICATE}?next={DELETE}", {"password": PASSWORD})
    _delete(client, "delete", password=PASSWORD)

    assert right.status_code == 429
    assert User.objects.filter(pk=leaver["user"].pk).exists()


def test_with_two_factor_the_authenticator_code_confirms_the_deletion(
    world, leaver, django_capture_on_commit_callbacks
):
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    secret = generate_totp_secret()
    TOTP.activate(leaver["user"], secret)
    client = _client_for(leaver["user"], reauthenticated=False)
    assert _delete(client, "delete").status_code == 302
    assert client.post(f"/accounts/2fa/reauthenticate/?next={DELETE}", {"code": "000000"}).status_code == 200
    assert User.objects.filter(pk=leaver["user"].pk).exists()

    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    client.post(f"/accounts/2fa/reauthenticate/?next={DELETE}", {"code": code})
    with django_capture_on_commit_callbacks(execute=True):
        assert _delete(client, "delete").status_code == 302
    assert not User.objects.filter(pk=leaver["user"].pk).exists()
    assert not Authenticator.objects.exists()


def test_deleting_tells_open_sockets_to_recheck(world, leaver, monkeypatch):
    told = []
    monkeypatch.setattr(events, "access_changed", lambda **kwargs: told.append(kwargs))
    user_id = leaver["user"].pk

    _delete(_client_for(leaver["user"]), "anonymise")

    assert {"user_id": user_id} in told


def test_deleting_needs_a_post(world, leaver):
    client = _client_for(leaver["user"])
    assert client.get("/settings/privacy/delete/").status_code == 200
    assert client.put("/settings/privacy/delete/").status_code == 405
    assert User.objects.filter(pk=leaver["user"].pk).exists()


def test_deleting_the_account_removes_the_members_reactions_and_tells_open_pages(
    world, leaver, django_capture_on_commit_callbacks, monkeypatch
):
    carols_reply = Reply.objects.get(discussion=leaver["discussion"], number=1)
    public = world.posts["public"]
    Reaction.objects.create(user=leaver["user"], reply=carols_reply, kind=Reaction.Kind.THANK_YOU)
    Reaction.objects.create(user=leaver["user"], discussion=public, kind=Reaction.Kind.ME_TOO)
    Reaction.objects.create(user=world.users["member"], discussion=public, kind=Reaction.Kind.ME_TOO)
    announced = []
    monkeypatch.setattr(events, "reactions_changed", lambda **event: announced.append(event))

    with django_capture_on_commit_callbacks(execute=True):
        _delete(_client_for(leaver["user"]), "anonymise")

    assert not Reaction.objects.filter(user_id=leaver["user"].pk).exists()
    assert Reaction.objects.filter(user=world.users["member"]).count() == 1  # others' stay
    assert sorted(announced, key=lambda e: e["number"] or 0) == [
        {"discussion_id": public.pk, "number": None},
        {"discussion_id": leaver["discussion"].pk, "number": 1},
    ]
