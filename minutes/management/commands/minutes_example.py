"""Write the worked example of the minutes layout (docs/mau-bien-ban.pdf): PDF/A-3u, with the two
empty signature fields, from the real template and an in-memory example record."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from minutes import render
from minutes.example import example_html


class Command(BaseCommand):
    help = "Render the worked example of the minutes layout to a PDF file."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "docs" / "mau-bien-ban.pdf"))
        parser.add_argument("--items", type=int, default=3)

    def handle(self, *args, out, items, **options):
        Path(out).write_bytes(render.html_to_pdf(example_html(items)))
        self.stdout.write(out)
