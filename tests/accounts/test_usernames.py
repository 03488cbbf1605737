"""Usernames that look like another member's (issue 11, item 16): compared by their
Unicode skeleton (NFKC, case folded, confusables mapped, as UTS #39 describes), so
alice spelt with a Cyrillic a cannot pass for ``alice``."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import User
from tests.helpers.users import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "newbie@example.org", "password1": PASSWORD, "password2": PASSWORD, "health_data_consent": "on"}
CYRILLIC_A = "\u0430"


def sign_up(client: Client, username: str):
    return client.post("/accounts/signup/", {**SIGNUP, "username": username})


@pytest.mark.parametrize(
    "lookalike",
    [
        f"{CYRILLIC_A}lice",
        "\u0251lice",  # Latin small alpha
        "\uff41\uff4c\uff49\uff43\uff45",  # fullwidth letters
        "aIice",  # capital I for the l
        "\u0410LICE",  # capitals, the first Cyrillic (plain "ALICE" allauth refuses already)
    ],
)
def test_a_username_that_looks_like_an_existing_one_is_refused_with_a_clear_error(client, member, lookalike):
    response = sign_up(client, lookalike)

    assert response.status_code == 200
    page = response.content.decode()
    assert "looks too much like" in page
    assert 'value="newbie@example.org"' in page  # what was typed stays
    assert User.objects.count() == 1


def test_a_username_that_only_resembles_an_existing_one_is_accepted(client, member):
    response = sign_up(client, "alice2")

    assert response.status_code == 302
    assert User.objects.filter(username="alice2").exists()


def test_a_lookalike_of_a_reserved_name_is_refused(client):
    response = sign_up(client, f"{CYRILLIC_A}dmin")

    assert response.status_code == 200
    assert not User.objects.filter(email="newbie@example.org").exists()


def test_the_sign_up_form_explains_the_username_rule(client):
    page = client.get("/accounts/signup/").content.decode()

    assert 'aria-describedby="id_username_helptext"' in page
    assert "It cannot look like another member's name" in page


def test_renaming_a_member_to_a_lookalike_is_refused_by_the_model(member, user_factory):
    victim = user_factory("bobby")
    victim.username = f"{CYRILLIC_A}lice"

    with pytest.raises(ValidationError, match="looks too much like"):
        victim.full_clean()


def test_the_admin_cannot_rename_a_member_at_all(member, user_factory):
    """The admin is read-only for accounts (tests/privacy/test_admin_write_path.py)."""
    admin = user_factory("ops", is_staff=True, is_superuser=True, two_factor=True)
    victim = user_factory("bobby")
    client = Client()
    client.force_login(admin)

    response = client.post(f"/admin/accounts/user/{victim.pk}/change/", {"username": f"{CYRILLIC_A}lice"})

    assert response.status_code == 403
    victim.refresh_from_db()
    assert victim.username == "bobby"


def test_a_member_keeps_their_own_username_when_the_admin_saves_them(member, user_factory):
    assert User.objects.get(pk=member.pk).username == "alice"
    member.display_name = "Alice A."
    member.full_clean()  # not confusable with itself
    member.save()
