import os

from django.core.management.base import BaseCommand

from carecrm import demo


class Command(BaseCommand):
    help = "Print where CareCRM answers and the demo logins that seed_demo creates."

    def handle(self, *args, **options):
        # Read when run, like the Procfile's ${PORT:-8000}: `PORT=9000 make run` moves both.
        base = f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}/"
        width = max(len(user.username) for user in demo.DEMO_USERS if user.has_password)
        lines = [
            "",
            f"CareCRM: {base}",
            f"  staff console {base}console/  admin {base}admin/  API docs {base}api/docs/",
            f"Demo logins, password {demo.DEMO_PASSWORD}:",
        ]
        lines += [f"  {user.username:<{width}}  {user.does}" for user in demo.DEMO_USERS if user.has_password]
        for user in demo.DEMO_USERS:
            if user.has_token:
                lines += [
                    f"API user {user.username} ({user.does}) signs in with a token only; to see it:",
                    f"  .venv/bin/python manage.py drf_create_token {user.username}",
                ]
        lines.append("")
        self.stdout.write("\n".join(lines))
