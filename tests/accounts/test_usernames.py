"""Usernames that look like another member's (issue 11, item 16): compared by their
Unicode skeleton (NFKC, case folded, confusables mapped, as UTS #39 describes), so
alice spelt with a Cyrillic a cannot pass for ``alice``."""

import pytest
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


def test_renaming_a_member_in_the_admin_to_a_lookalike_is_refused(member, user_factory):
    admin = user_factory("ops", is_staff=True, is_superuser=True, two_factor=True)
    victim = user_factory("bobby")
    client = Client()
    client.force_login(admin)
    url = f"/admin/accounts/user/{victim.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "username": f"{CYRILLIC_A}lice",
            "date_joined_0": victim.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": victim.date_joined.strftime("%H:%M:%S"),
            "groups": [],
            "user_permissions": [],
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)

    response = client.post(url, data)

    assert response.status_code == 200
    assert "looks too much like" in response.content.decode()
    victim.refresh_from_db()
    assert victim.username == "bobby"


def test_a_member_keeps_their_own_username_when_the_admin_saves_them(member, user_factory):
    assert User.objects.get(pk=member.pk).username == "alice"
    member.display_name = "Alice A."
    member.full_clean()  # not confusable with itself
    member.save()
