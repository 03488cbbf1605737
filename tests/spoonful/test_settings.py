"""Settings are read from the environment; each case runs in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 30 + "-a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "spoonful.example",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "postgres://spoonful@127.0.0.1:5432/spoonful",
    "SITE_URL": "https://spoonful.example",
}
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "email": settings.EMAIL_BACKEND,
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "secure_cookie": settings.SESSION_COOKIE_SECURE,
    "site_url": settings.SITE_URL,
}))
"""


def run_with(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    ours = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "SITE_URL", "HOST", "PORT"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    clean.update({"DJANGO_SETTINGS_MODULE": "spoonful.settings", **environment})
    return subprocess.run(args, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def settings_with(environment: dict[str, str]) -> dict:
    result = run_with(environment, sys.executable, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_unset_environment_gives_the_embedded_setup():
    found = settings_with({})

    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["db_name"] == str(ROOT / "db.sqlite3")
    assert found["cache"].endswith("LocMemCache")
    assert found["layer"] == "channels.layers.InMemoryChannelLayer"
    assert found["email"] == "django.core.mail.backends.console.EmailBackend"
    assert found["debug"] is False
    assert found["secure_cookie"] is True


def test_production_environment_switches_to_postgres_and_redis():
    found = settings_with({**PRODUCTION, "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example:587"})

    assert found["engine"] == "django.db.backends.postgresql"
    assert found["cache"] == "spoonful.cache.FailOpenRedisCache"
    assert found["layer"] == "channels_redis.core.RedisChannelLayer"
    assert found["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert found["hosts"] == ["spoonful.example"]


def test_a_wildcard_host_is_refused_in_production():
    result = run_with({**PRODUCTION, "ALLOWED_HOSTS": "*"}, sys.executable, "-c", PROBE)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must name the site's hosts" in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run_with(PRODUCTION, sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("missing", "warning"),
    [("SECRET_KEY", "spoonful.W001"), ("REDIS_URL", "spoonful.W002"), ("SITE_URL", "spoonful.W003")],
)
def test_deploy_check_warns_about_what_django_does_not_know(missing, warning):
    environment = {key: value for key, value in PRODUCTION.items() if key != missing}

    result = run_with(environment, sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_site_url_defaults_to_the_address_make_run_serves():
    assert settings_with({"DEBUG": "true", "HOST": "127.0.0.1", "PORT": "8101"})["site_url"] == "http://127.0.0.1:8101"
    assert settings_with({"DEBUG": "true"})["site_url"] == "http://127.0.0.1:8000"
    assert settings_with({"SITE_URL": "https://spoonful.example/"})["site_url"] == "https://spoonful.example"


def test_a_plain_http_site_url_fails_the_deploy_check():
    environment = {**PRODUCTION, "SITE_URL": "http://spoonful.example"}

    result = run_with(environment, sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "spoonful.W003" in result.stdout + result.stderr


def test_a_secret_key_starting_with_a_dollar_sign_is_read_as_written():
    # django-environ would take "$abc" for the name of another variable and fall back to
    # a random key: sessions signed by one process were then "corrupted" in another.
    key = "$starts-with-a-dollar-" + "x" * 40
    printed = subprocess.run(
        [sys.executable, "-c", "from spoonful import settings; print(settings.SECRET_KEY)"],
        env={**os.environ, "SECRET_KEY": key, "DEBUG": "false"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert printed == key
