from django.core.management.base import BaseCommand

from discussions.search import is_postgres, search_reindex_all


class Command(BaseCommand):
    help = "Rebuild every discussion's search vector (PostgreSQL) and related-discussion candidates."

    def handle(self, *args, **options) -> None:
        count = search_reindex_all()
        what = "search vectors and related candidates" if is_postgres() else "related candidates"
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {what} for {count} discussion(s)."))
