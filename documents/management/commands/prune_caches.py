from django.core.management.base import BaseCommand

from documents import caches


class Command(BaseCommand):
    help = "Remove page images and cleaned copies unused for DAYS (rebuilt on demand), and stale temporary files."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="unused for this many days (default 30)")

    def handle(self, *args, days: int, **options):
        if days < 1:
            self.stderr.write("--days must be at least 1")
            raise SystemExit(2)
        counts = caches.prune(days)
        self.stdout.write(", ".join(f"{kind}: {n} removed" for kind, n in counts.items()))
