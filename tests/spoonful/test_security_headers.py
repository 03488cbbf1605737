import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/")["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/no-such-page/"])
def test_every_page_type_sends_the_protective_headers(client, path):
    response = client.get(path)

    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_for_signed_in_members_are_never_cached_by_shared_caches(client, member):
    client.force_login(member)

    response = client.get("/")

    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_only_pages_that_say_so_may_be_indexed(client, member):
    assert "X-Robots-Tag" not in client.get("/")
    assert client.get("/accounts/login/")["X-Robots-Tag"] == "noindex, nofollow"

    client.force_login(member)
    assert client.get("/")["X-Robots-Tag"] == "noindex, nofollow"


def test_logout_clears_what_the_browser_kept(client, member):
    client.force_login(member)

    response = client.post("/accounts/logout/")

    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_logout_by_get_changes_nothing(client, member):
    client.force_login(member)

    client.get("/accounts/logout/")

    assert client.get("/").context["user"].is_authenticated
