from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log hash chain; exits non-zero if it was tampered with."

    def handle(self, *args, **options):
        ok, count, bad_id = audit_verify()
        if not ok:
            where = f"at entry {bad_id}" if bad_id else "at the end of the chain (entries removed)"
            raise CommandError(f"Audit chain BROKEN {where} after {count} intact entries.")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} entries."))
