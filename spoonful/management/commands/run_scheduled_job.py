"""Run one scheduled job now, by its name in spoonful/schedules.py: ``manage.py run_scheduled_job draft-retention``."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from spoonful.schedules import SCHEDULES


class Command(BaseCommand):
    help = (
        "Run one declared schedule's job now, in this process, by its name (see spoonful/schedules.py). "
        "Every job is safe to run twice, so running one the workers also run changes nothing twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the schedule's name, such as notification-digests")

    def handle(self, *args, name: str, **options) -> None:
        entry = next((entry for entry in SCHEDULES if entry.name == name), None)
        if entry is None:
            names = ", ".join(entry.name for entry in SCHEDULES)
            raise CommandError(f"No scheduled job is named {name!r}. The names are: {names}.")
        result = import_string(entry.job)()
        self.stdout.write(self.style.SUCCESS(f"{entry.name} ({entry.job}): {result}"))
