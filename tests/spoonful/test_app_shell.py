"""Issue 16: the installable app as the server serves it: the manifest, the service
worker, the offline page, and what pages tell the worker it may keep."""

import json
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from PIL import Image

from discussions.models import Discussion, Visibility
from spoonful import app_shell

pytestmark = pytest.mark.django_db


def _discussion(author, *, visibility: str = Visibility.MEMBERS) -> Discussion:
    return Discussion.objects.create(
        author=author,
        title="Pacing on bad days",
        body="How do you pace?",
        body_html="<p>How do you pace?</p>",
        visibility=visibility,
        last_activity_at=timezone.now(),
    )


def _static_path(url: str) -> str:
    assert url.startswith("/static/"), url
    return url.removeprefix("/static/")


# --- The manifest -------------------------------------------------------------------


def test_the_manifest_is_served_as_a_web_app_manifest(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Spoonful"
    assert manifest["short_name"] == "Spoonful"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"


def test_the_manifest_colours_are_the_site_css_colours(client):
    manifest = json.loads(client.get("/manifest.webmanifest").content)

    css = Path(finders.find("css/site.css")).read_text(encoding="utf-8")
    light = css.split("@media (prefers-color-scheme: dark)")[0]
    assert f"--surface: {manifest['theme_color']};" in light
    assert f"--bg: {manifest['background_color']};" in light


def test_the_manifest_names_png_icons_of_192_and_512_plain_and_maskable_and_the_svg(client):
    icons = json.loads(client.get("/manifest.webmanifest").content)["icons"]

    found = {(icon["sizes"], icon["type"], icon["purpose"]) for icon in icons}
    assert {
        ("192x192", "image/png", "any"),
        ("512x512", "image/png", "any"),
        ("192x192", "image/png", "maskable"),
        ("512x512", "image/png", "maskable"),
        ("any", "image/svg+xml", "any"),
    } <= found
    for icon in icons:
        path = finders.find(_static_path(icon["src"]))
        assert path, f"{icon['src']} is not a static file"
        if icon["type"] == "image/png":
            with Image.open(path) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
                assert image.format == "PNG"


@pytest.mark.parametrize("path", ["/manifest.webmanifest", "/sw.js", "/offline/"])
def test_the_app_files_refuse_writes(client, path):
    assert client.post(path).status_code == 405


# --- The service worker -------------------------------------------------------------


def test_the_service_worker_is_javascript_from_the_root_that_is_always_revalidated(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=3" not in response["Cache-Control"]
    assert "Service-Worker-Allowed" not in response  # served from /, its scope is / already


def test_the_service_worker_carries_the_version_of_the_files_it_keeps(client):
    body = client.get("/sw.js").content.decode()

    version = re.search(r'const VERSION = "([0-9a-f]{16})";', body)
    assert version
    assert version.group(1) == app_shell.shell_version()


def test_a_changed_stylesheet_gives_a_new_service_worker_version(settings, tmp_path):
    static_root = tmp_path / "static"
    (static_root / "css").mkdir(parents=True)
    (static_root / "js").mkdir()
    (static_root / "css" / "site.css").write_text("body { color: black; }")
    (static_root / "js" / "site.js").write_text("")
    shutil.copytree(Path(finders.find("icons/spoon.svg")).parent, static_root / "icons")
    settings.STATICFILES_DIRS = [static_root]
    settings.DEBUG = True  # recomputed on every request, as in development

    before = app_shell.shell_version()
    (static_root / "css" / "site.css").write_text("body { color: navy; }")

    assert app_shell.shell_version() != before


def test_the_service_worker_keeps_the_shell_and_the_offline_page(client):
    body = client.get("/sw.js").content.decode()

    shell = json.loads(re.search(r"const SHELL_URLS = (\[.*?\]);", body).group(1))
    assert "/offline/" in shell
    for needed in ("css/site.css", "js/site.js", "js/app_shell.js", "icons/icon-192.png"):
        assert f"/static/{needed}" in shell
    for url in shell:
        if url.startswith("/static/"):
            assert finders.find(_static_path(url)), f"{url} is not a static file"
    assert "const PAGES_KEPT = 10;" in body


def test_the_service_worker_handles_push_and_notification_clicks(client):
    body = client.get("/sw.js").content.decode()

    assert 'addEventListener("push"' in body
    assert 'addEventListener("notificationclick"' in body
    assert 'addEventListener("message"' in body


def test_the_content_security_policy_allows_our_own_worker_and_manifest_only(client):
    policy = client.get("/")["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["worker-src"] == "'self'"
    assert directives["manifest-src"] == "'self'"


# --- The offline page ---------------------------------------------------------------


def test_the_offline_page_names_nobody_even_for_a_signed_in_member(client, member):
    client.force_login(member)

    response = client.get("/offline/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>You're offline</h1>" in html
    assert member.username not in html
    assert "csrfmiddlewaretoken" not in html
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        assert finders.find(_static_path(url)), f"{url} is not a static file"


def test_the_offline_page_needs_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/offline/").status_code == 200


# --- Pages link the app -------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_links_the_manifest_the_touch_icon_and_the_registration_script(client, member, signed_in):
    if signed_in:
        client.force_login(member)

    html = client.get("/c/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    touch = re.search(r'<link rel="apple-touch-icon" href="/static/([^"]+)">', html)
    assert touch
    assert finders.find(touch.group(1))
    assert '<script src="/static/js/app_shell.js" defer></script>' in html


def test_the_sign_out_form_tells_the_worker(client, member):
    client.force_login(member)

    html = client.get("/c/").content.decode()

    assert re.search(r'<form method="post" action="/accounts/logout/"[^>]*data-sign-out>', html)


# --- What the worker may keep -------------------------------------------------------


def test_a_discussion_page_its_member_read_may_be_kept_for_offline_reading(client, member):
    discussion = _discussion(member)
    client.force_login(member)

    response = client.get(f"/d/{discussion.pk}/")

    assert response.status_code == 200
    assert response["X-Spoonful-Cacheable"] == "1"
    # No HTTP cache keeps it: only the worker's own store, emptied at sign-out.
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_public_discussion_may_be_kept_for_a_visitor(client, member):
    discussion = _discussion(member, visibility=Visibility.PUBLIC)

    response = client.get(f"/d/{discussion.pk}/")

    assert response["X-Spoonful-Cacheable"] == "1"


def test_a_discussion_the_visitor_may_not_read_is_never_marked(client, member):
    discussion = _discussion(member, visibility=Visibility.MEMBERS)

    response = client.get(f"/d/{discussion.pk}/")

    assert response.status_code == 404
    assert "X-Spoonful-Cacheable" not in response


@pytest.mark.parametrize("path", ["/", "/c/", "/notifications/", "/settings/profile/", "/u/alice/", "/offline/"])
def test_other_pages_are_not_marked_to_be_kept(client, member, path):
    client.force_login(member)

    response = client.get(path)

    assert response.status_code == 200
    assert "X-Spoonful-Cacheable" not in response


def test_a_rejected_reply_page_is_not_marked_to_be_kept(client, member):
    discussion = _discussion(member)
    client.force_login(member)

    response = client.post(f"/d/{discussion.pk}/reply/", {"body": ""})

    assert "X-Spoonful-Cacheable" not in response


def test_pages_name_the_sign_in_they_were_answered_for(client, member):
    anonymous = client.get("/c/")["X-Spoonful-Viewer"]
    client.force_login(member)
    first = client.get("/c/")["X-Spoonful-Viewer"]
    again = client.get("/")["X-Spoonful-Viewer"]
    client.logout()
    client.force_login(member)
    second_sign_in = client.get("/c/")["X-Spoonful-Viewer"]

    assert anonymous == "anonymous"
    assert first == again
    assert first != "anonymous"
    assert second_sign_in != first
    assert member.username not in first
    assert client.session.session_key[:20] != second_sign_in


def test_sign_out_tells_the_browser_to_drop_what_it_kept(client, member):
    client.force_login(member)

    response = client.post("/accounts/logout/")

    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert response["X-Spoonful-Viewer"] == "anonymous"
