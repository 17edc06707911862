from django.core.management.base import BaseCommand

from notifications.reminders import ensure_scheduled


class Command(BaseCommand):
    help = "Queue the daily 'deadline tomorrow' reminder task, unless one is already waiting."

    def handle(self, *args, **options):
        queued = ensure_scheduled()
        self.stdout.write("queued" if queued else "already queued")
