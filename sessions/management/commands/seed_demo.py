from django.core.management.base import BaseCommand

from sessions import demo


class Command(BaseCommand):
    help = "Create the Vietnamese demo committee and meeting (safe to run again) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo1234", help="password for newly created demo users")
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="URL to print")

    def handle(self, *args, password, url, **options):
        committee, meeting, created = demo.seed(password)
        self.stdout.write(("Created" if created else "Already present") + f": {committee.name} — {meeting.title}")
        self.stdout.write(f"\nOpen {url}\nDemo logins (password: {password} unless changed):")
        rows = [(demo.MEMBERS[0], "chủ trì / chair"), (demo.MEMBERS[1], "thư ký / secretary"),
                (demo.MEMBERS[2], "ủy viên / member"), (demo.MEMBERS[3], "ủy viên / member"),
                (demo.ADMIN, "quản trị / admin"), (demo.GUEST, "khách mời / guest")]
        for person, role in rows:
            self.stdout.write(f"  {person.username:<10} {person.name:<24} {role}")
        self.stdout.write("  uyvien3 … uyvien13: the other members")
