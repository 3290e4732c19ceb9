from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        from carecrm import jobs
        from tickets import outbound

        jobs.register("ticket_emails", outbound.messages_sweep, order=30)
