from django.core.management.base import BaseCommand

from campaigns.playbook import playbook_install


class Command(BaseCommand):
    help = "Create the welcome, first-purchase and win-back campaigns (active) where they do not exist."

    def handle(self, *args, **options):
        for slug, created in playbook_install():
            self.stdout.write(f"{slug}: {'installed' if created else 'already there, left as it is'}")
