"""CPU time and Python function calls per request for the pages `make bench` measures:
`python -m bench.pages_cpu`.

Uses `bench.page_cost`'s throwaway SQLite database (built if missing, or with ``--build``),
adds a discussion of 5 replies beside its 50- and 200-reply ones, and requests each page
through Django's test client as a signed-in member of #mecfs or a visitor: CPU ms per request
(median of ``--repeats`` after 5 to warm up) and function calls for one request (cProfile:
deterministic, whatever else the machine does). Run it from two checkouts in turn to compare
them on the same database; docs/page-cost.md records such a comparison.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

# The benchmark's URLs, for the floor page; bench.page_cost sets Django up on its database.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from django.conf import settings
from django.test import Client

from bench import page_cost

SHORT_TITLE = "Pacing with 5 replies"


def short_discussion() -> str:
    from accounts.models import User
    from discussions import services
    from discussions.models import Discussion, Visibility

    found = Discussion.objects.filter(title=SHORT_TITLE).first()
    if found is None:
        writer, friend = User.objects.get(username="carol"), User.objects.get(username="dana")
        found = services.discussion_create(
            author=writer,
            title=SHORT_TITLE,
            body="What helps you pace?",
            hashtags=["mecfs"],
            visibility=Visibility.PUBLIC,
        )
        for number in range(1, 6):
            services.reply_create(
                author=(writer, friend)[number % 2], discussion=found, body=f"Reply {number}. **Plan rest first**."
            )
    return found.get_absolute_url()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--build", action="store_true", help="build the database afresh")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if args.build or not page_cost.DB_PATH.exists():
        page_cost.build()
    from accounts.models import User
    from discussions.models import Discussion

    member, visitor = Client(), Client()
    member.force_login(User.objects.get(username="alice"))
    long_url = Discussion.objects.get(title="Pacing with 50 replies").get_absolute_url()
    short_url = short_discussion()
    pages = [
        ("floor", member, "/bench/floor/"),
        ("home, signed in", member, "/"),
        ("community #mecfs, signed in", member, "/c/mecfs/"),
        ("discussion (5 replies), visitor", visitor, short_url),
        ("discussion (5 replies), member", member, short_url),
        ("discussion (50 replies), visitor", visitor, long_url),
        ("discussion (50 replies), member", member, long_url),
    ]
    print(f"Python {sys.version.split()[0]}, SQLite, {args.repeats} requests each after 5 to warm up.\n")
    print("| page | CPU ms/request (median) | function calls | bytes |\n|---|---:|---:|---:|")
    for label, client, url in pages:
        for _ in range(5):
            response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        times = []
        for _ in range(args.repeats):
            started = time.process_time()
            client.get(url)
            times.append((time.process_time() - started) * 1000)
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(url)
        profiler.disable()
        calls = pstats.Stats(profiler).total_calls
        print(f"| {label} | {statistics.median(times):.2f} | {calls:,} | {len(response.content):,} |")


if __name__ == "__main__":
    main()
