"""The project's settings with the benchmark's URLconf, used only by the layouts `python -m bench`
starts: the floor page is never a production URL."""

from spoonful.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
