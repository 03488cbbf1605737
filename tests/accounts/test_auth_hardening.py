"""Authentication hardening cases from the security catalog (AH-*, IV-09, CS-01)."""

import pytest
from django.core import mail
from django.test import Client

from tests.helpers.users import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {"username": "newbie", "email": "newbie@example.org", "health_data_consent": "on"}


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short7!", "too short"), ("password123", "too common"), ("storytelling", "too similar")],
)
def test_weak_passwords_are_refused_with_a_reason(client, password, reason):
    fields = {**SIGNUP, "username": "storytelling", "password1": password, "password2": password}

    response = client.post("/accounts/signup/", fields)

    assert response.status_code == 200
    assert reason in response.content.decode()


def test_a_long_passphrase_without_composition_rules_is_accepted(client):
    passphrase = "the quiet river runs past seven sleepy hills " * 2 + "and on"

    response = client.post("/accounts/signup/", {**SIGNUP, "password1": passphrase, "password2": passphrase})

    assert response.status_code == 302


def test_forged_forwarded_for_headers_do_not_dodge_the_login_limit(client, member, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
    for n in range(5):
        client.post("/accounts/login/", {"login": "alice", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    response = client.post(
        "/accounts/login/", {"login": "alice", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )

    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "https:evil.example", "javascript:alert(1)"],
)
def test_login_never_redirects_off_site(client, member, target):
    response = client.post(f"/accounts/login/?next={target}", {"login": "alice", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_password_reset_for_a_foreign_host_is_refused_and_sends_nothing(member):
    response = Client(HTTP_HOST="evil.example").post("/accounts/password/reset/", {"email": "alice@example.org"})

    assert response.status_code == 400
    assert mail.outbox == []


def test_a_forwarded_host_is_not_trusted_for_reset_links(member):
    Client(HTTP_X_FORWARDED_HOST="evil.example").post("/accounts/password/reset/", {"email": "alice@example.org"})

    (message,) = mail.outbox
    assert "evil.example" not in message.body


def test_the_session_key_changes_at_login_and_the_old_cookie_is_useless_after_logout(member):
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    signed_in_key = client.cookies["sessionid"].value
    assert signed_in_key != before

    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = signed_in_key

    assert not replay.get("/").context["user"].is_authenticated


def test_posting_without_a_csrf_token_is_refused(member, user_factory, community_factory, add_member):
    from discussions.models import Discussion

    community = community_factory("mecfs")
    add_member(member, community)
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = client.post("/d/new/", {"title": "No token", "body": "x", "hashtags": "mecfs", "visibility": "members"})

    assert response.status_code == 403
    assert not Discussion.objects.exists()


def test_adding_an_email_address_asks_for_the_password_again(client, member):
    from allauth.account.models import EmailAddress

    client.force_login(member)

    response = client.post("/accounts/email/", {"action_add": "", "email": "second@example.org"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="second@example.org").exists()


def test_the_login_lockout_follows_the_account_whatever_the_host_port(member, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,5/5m/key"}
    # One port per attempt, and both ways of naming the account: each used to start a fresh counter.
    for n, login in enumerate(["alice", "ALICE", "alice@example.org", "Alice@Example.org", "alice"]):
        Client(HTTP_HOST=f"127.0.0.1:{8000 + n}").post("/accounts/login/", {"login": login, "password": "wrong"})

    response = Client(HTTP_HOST="localhost:9000").post("/accounts/login/", {"login": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_the_login_lockout_of_one_account_leaves_another_alone(member, other_member, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,5/5m/key"}
    for n in range(5):
        Client(HTTP_HOST=f"127.0.0.1:{8000 + n}").post("/accounts/login/", {"login": "alice", "password": "wrong"})

    response = Client().post("/accounts/login/", {"login": "carol", "password": PASSWORD})

    assert response.status_code == 302
