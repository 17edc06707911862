"""Close and count every written consultation whose deadline has passed (run by a timer or worker;
pages also close them lazily on access, so running it late or twice changes nothing)."""
from django.core.management.base import BaseCommand

from consultations.services import close_due_consultations


class Command(BaseCommand):
    help = "Đóng và tổng hợp các phiếu lấy ý kiến đã hết hạn."

    def handle(self, *args, **options):
        closed = close_due_consultations()
        self.stdout.write(f"closed {len(closed)}: {' '.join(map(str, closed))}".rstrip(": "))
