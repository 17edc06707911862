from django.core.management.base import BaseCommand, CommandError

from voting import secret_tally
from voting.models import Poll


class Command(BaseCommand):
    help = ("Recheck the count of encrypted secret polls from the stored ciphertexts and the published "
            "proofs (no key needed, no ballot revealed); exits non-zero if any check fails.")

    def add_arguments(self, parser):
        parser.add_argument("poll_ids", nargs="*", type=int, help="default: every counted encrypted poll")

    def handle(self, *args, poll_ids, **options):
        polls = Poll.objects.exclude(tally_record=None).order_by("id")
        if poll_ids:
            polls = polls.filter(pk__in=poll_ids)
        failed = 0
        for poll in polls:
            problems = secret_tally.verify(poll)
            if problems:
                failed += 1
                self.stderr.write(f"poll {poll.pk}: " + "; ".join(problems))
            else:
                self.stdout.write(f"poll {poll.pk}: {poll.tally_record['ballots']} encrypted ballots, "
                                  f"counts {poll.tally_record['counts']} verified")
        if failed:
            raise CommandError(f"{failed} poll(s) failed verification")
