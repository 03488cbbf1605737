import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.test import Client

from accounts.models import CURRENT_CONSENT_VERSION, User
from tests.helpers.users import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "newbie",
    "email": "newbie@example.org",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "health_data_consent": "on",
}


def confirmation_link() -> str:
    (message,) = mail.outbox
    return re.search(re.escape(settings.SITE_URL) + r"(/accounts/confirm-email/[^/\s]+/)", message.body).group(1)


def test_sign_up_sends_a_verification_email_and_does_not_sign_in(client):
    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newbie@example.org"]
    assert not client.get("/").context["user"].is_authenticated
    assert EmailAddress.objects.get(email="newbie@example.org").verified is False


def test_sign_up_records_consent_to_store_health_information(client):
    client.post("/accounts/signup/", SIGNUP)

    user = User.objects.get(username="newbie")
    assert user.health_data_consent_version == CURRENT_CONSENT_VERSION
    assert user.health_data_consent_at is not None


def test_sign_up_without_consent_is_refused_and_keeps_what_was_typed(client):
    response = client.post("/accounts/signup/", {**SIGNUP, "health_data_consent": ""})

    assert response.status_code == 200
    assert "we cannot store health information without it" in response.content.decode()
    assert 'value="newbie@example.org"' in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_following_the_verification_link_signs_the_member_in(client):
    client.post("/accounts/signup/", SIGNUP)

    response = client.post(confirmation_link())

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="newbie@example.org").verified is True
    assert client.get("/").context["user"].username == "newbie"


def test_an_unverified_member_cannot_sign_in(client, user_factory):
    user_factory("pending", verified=False)

    response = client.post("/accounts/login/", {"login": "pending", "password": PASSWORD})

    assert response["Location"] == "/accounts/confirm-email/"
    assert not client.get("/").context["user"].is_authenticated


@pytest.mark.parametrize("login", ["alice", "alice@example.org"])
def test_a_verified_member_signs_in_by_username_or_email(client, member, login):
    response = client.post("/accounts/login/", {"login": login, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/").context["user"] == member


def test_a_wrong_password_gives_a_clear_message(client, member):
    response = client.post("/accounts/login/", {"login": "alice", "password": "not the password"})

    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_password_reset_answers_the_same_for_unknown_addresses(client, member):
    known = client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_login_is_rate_limited_after_repeated_failures(client, member, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
    for _ in range(5):
        client.post("/accounts/login/", {"login": "alice", "password": "wrong password"})

    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})

    assert "Too many failed login attempts" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated


def test_signed_in_member_can_manage_email_addresses(client, member):
    client.force_login(member)

    response = client.get("/accounts/email/")

    assert response.status_code == 200
    assert "alice@example.org" in response.content.decode()


def test_account_emails_greet_members_from_spoonful_not_from_the_host_name(client):
    # A server on another port used to sign its mail "Hello from 127.0.0.1:8101!".
    client.post("/accounts/signup/", SIGNUP, HTTP_HOST="127.0.0.1:8101")

    (message,) = mail.outbox
    assert message.body.startswith("Hello from Spoonful!")
    assert "Thank you for using Spoonful!" in message.body
    assert "Hello from 127.0.0.1" not in message.body


def test_password_reset_email_greets_from_spoonful(client, member):
    client.post("/accounts/password/reset/", {"email": member.email}, HTTP_HOST="localhost:8101")

    (message,) = mail.outbox
    assert message.body.startswith("Hello from Spoonful!")
    assert "localhost:8101!" not in message.body


def test_account_emails_link_to_the_site_url_and_name_the_site(client, member, settings):
    settings.SITE_URL = "https://spoonful.example"

    client.post("/accounts/signup/", SIGNUP)
    Client(HTTP_HOST="localhost").post("/accounts/password/reset/", {"email": "alice@example.org"})

    confirmation, reset = mail.outbox
    assert "https://spoonful.example/accounts/confirm-email/" in confirmation.body
    assert "https://spoonful.example/accounts/password/reset/key/" in reset.body
    for message in (confirmation, reset):
        assert "testserver" not in message.body
        assert "localhost" not in message.body
        assert "Spoonful" in message.body
