"""The discussion page's own cost, in CPU time: `python -m bench.page_cost`.

Builds a throwaway SQLite database (``PAGE_COST_DB``, default /tmp/page-cost.sqlite3)
with two discussions of 50 and 200 replies (some threaded, anonymous, with a content
warning, a professional's badge, reactions and a photo), then requests each page
through Django's test client many times, as a signed-in member and as a visitor, and
reports CPU time per request (``time.process_time``: other work on a shared machine
barely moves it, unlike wall time), queries per request, and a cProfile of the
member's page grouped by where the time goes. ``--live`` adds the live hub's render of
one new reply for three audiences. docs/page-cost.md records its output.
"""

import argparse
import cProfile
import io
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spoonful.settings")
DB_PATH = Path(os.environ.get("PAGE_COST_DB", "/tmp/page-cost.sqlite3"))
os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("PRIVATE_STORAGE_ROOT", tempfile.mkdtemp(prefix="page-cost-"))
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

# Where a profiled function's own time is counted: the first of these its file path contains.
BUCKETS = (
    ("templates", ("django/template/", "django/templatetags/", "templatetags/")),
    ("ORM and database", ("django/db/", "sqlite3")),
    ("URL reversing", ("django/urls/",)),
    ("presenters and selectors", ("discussions/", "accounts/", "community/", "moderation/")),
    ("middleware, sessions, auth", ("django/contrib/", "django/middleware/", "spoonful/", "allauth/")),
    ("other Django", ("django/",)),
)


def build() -> dict[str, str]:
    """A fresh database with the two discussions; returns their URLs."""
    from allauth.account.models import EmailAddress
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image
    from taggit.models import Tag

    from accounts.models import User
    from community.models import Community, Membership
    from discussions import services
    from discussions.models import Reaction, Visibility
    from discussions.reactions import reaction_toggle
    from tests.helpers.users import approve_professional

    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    tag = Tag.objects.create(name="mecfs", slug="mecfs")
    mecfs = Community.objects.create(slug="mecfs", tag=tag, name="ME/CFS")

    def person(username: str, name: str) -> User:
        user = User.objects.create_user(username=username, email=f"{username}@example.org", password="x")
        user.display_name = name
        user.save()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        Membership.objects.create(user=user, community=mecfs)
        return user

    reader, writer, friend = person("alice", "Alice"), person("carol", "Carol"), person("dana", "Dana")
    doctor = person("drkim", "Dr Kim")
    approve_professional(doctor)
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, format="PNG")
    body = "Pacing helps me most when I **plan rest first**.\n\n- short walks\n- a timer\n\nSee #mecfs for more."
    urls = {}
    for count in (50, 200):
        discussion = services.discussion_create(
            author=writer,
            title=f"Pacing with {count} replies",
            body="What helps you pace when everything hurts?",
            hashtags=["mecfs"],
            visibility=Visibility.PUBLIC,
        )
        for number in range(1, count + 1):
            options = {}
            author = (writer, friend)[number % 2]
            if number % 4 == 0 and number > 4:
                options["parent_number"] = number - 3
            if number % 7 == 0:
                options["is_anonymous"] = True
            if number % 10 == 0:
                author, options["as_professional"] = doctor, True
                options.pop("is_anonymous", None)
            if number % 13 == 0:
                options["content_warning"] = "self-harm"
            if number == 3:
                options["attachments"] = [SimpleUploadedFile("a.png", picture.getvalue(), content_type="image/png")]
                options["alt_texts"] = ["A red square"]
            reply = services.reply_create(
                author=author, discussion=discussion, body=f"Reply {number}. {body}", **options
            )
            if number % 3 == 0:
                for who in (reader, friend, writer):
                    if who.pk != reply.author_id:
                        reaction_toggle(user=who, post=reply, kind=Reaction.Kind.choices[number % 3][0])
        urls[f"{count} replies"] = discussion.get_absolute_url()
    return urls


def measure(client: Client, url: str, repeats: int) -> tuple[float, float, int, int]:
    """Median and mean CPU ms per request, queries, and bytes of the page."""
    for _ in range(5):
        client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    queries = len(captured)  # read now: the next request resets the log
    times = []
    for _ in range(repeats):
        started = time.process_time()
        client.get(url)
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times), statistics.mean(times), queries, len(response.content)


def profile(client: Client, url: str, repeats: int, top: int) -> list[str]:
    # The default clock: process_time() as the profiler's timer is a system call per event,
    # which would swamp what is measured. The shares are what this is for.
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())
    buckets = dict.fromkeys([name for name, _ in BUCKETS] + ["Python itself"], 0.0)
    for (filename, _, _), row in stats.stats.items():
        name = next((name for name, parts in BUCKETS if any(part in filename for part in parts)), "Python itself")
        buckets[name] += row[2]
    lines = ["| where (own time) | share |", "|---|---:|"]
    lines += [f"| {name} | {100 * spent / total:.0f}% |" for name, spent in buckets.items()]
    lines += ["", "```", f"top {top} by cumulative time, {repeats} requests:"]
    rows = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)[:top]
    for (filename, line, function), (_, calls, _, cumulative, _) in rows:
        short = filename.split("site-packages/")[-1].replace(str(settings.BASE_DIR) + "/", "")
        per_request = cumulative / repeats * 1000
        lines.append(f"{per_request:8.2f} ms/request {calls // repeats:6d} calls  {short}:{line}({function})")
    lines.append("```")
    return lines


def cpu_row(label: str, times: list[float]) -> str:
    return f"| {label} | {statistics.median(times):.2f} | {statistics.mean(times):.2f} | | |"


def replies_cost(repeats: int) -> list[str]:
    """CPU time to present (three queries) and render the member's first window of replies, without a request."""
    from accounts.models import User
    from discussions.models import Discussion
    from discussions.presenters import present_reactions, present_replies, render_reply_html, reply_window

    viewer = User.objects.get(username="alice")
    discussion = Discussion.objects.order_by("pk").first()

    def once() -> int:
        replies = reply_window(viewer, discussion).replies
        started = time.process_time()
        present_replies(replies, viewer=viewer, discussion=discussion, may_reply=True)
        present_reactions(discussion=discussion, replies=replies, viewer=viewer, may_react=True)
        for reply in replies:
            render_reply_html(reply)
        return time.process_time() - started

    once()
    times = [once() * 1000 for _ in range(repeats)]
    return [cpu_row("the 50 replies presented and rendered, member", times)]


def live_cost(repeats: int) -> list[str]:
    """CPU time of the hub's render of one reply event for visitors, members and moderators."""
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from discussions.live.frames import build_reply_frames
    from discussions.models import Discussion

    discussion = Discussion.objects.order_by("pk").first()
    members = list(User.objects.filter(username__in=["alice", "dana"]))
    event = {"type": "reply.created", "discussion_id": discussion.pk, "number": discussion.last_reply_number}
    audiences = {"visitor": [AnonymousUser()], "member": members, "moderator": members[:1]}
    build_reply_frames(event, 1, audiences, {})
    times = []
    for _ in range(repeats):
        started = time.process_time()
        build_reply_frames(event, 1, audiences, {})
        times.append((time.process_time() - started) * 1000)
    return [cpu_row("live frames, one reply, 3 audiences", times)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--profile-repeats", type=int, default=30)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--live", action="store_true")
    args = parser.parse_args()
    # Not setup_test_environment(): its instrumented template rendering copies every
    # context for the test client, which would be most of what is measured.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    logging.getLogger("django-q").setLevel(logging.WARNING)
    urls = build()
    from accounts.models import User

    member = Client()
    member.force_login(User.objects.get(username="alice"))
    visitor = Client()
    lines = [
        f"Python {sys.version.split()[0]}, Django {django.get_version()}, SQLite, locmem cache; "
        f"{args.repeats} requests each after 5 to warm up.",
        "",
        "| page | CPU ms/request (median) | mean | queries | bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, url in urls.items():
        for who, client in (("member", member), ("visitor", visitor)):
            median, mean, queries, size = measure(client, url, args.repeats)
            lines.append(f"| {who}, {label} | {median:.2f} | {mean:.2f} | {queries} | {size:,} |")
    lines += replies_cost(args.repeats)
    if args.live:
        lines += live_cost(args.repeats)
    lines += ["", "Signed-in member, 50 replies, profiled:", ""]
    lines += profile(member, urls["50 replies"], args.profile_repeats, args.top)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
