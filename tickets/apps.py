from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        from carecrm import jobs
        from tickets import outbound, sla

        jobs.register("ticket_emails", outbound.messages_sweep, order=30)
        jobs.register("sla_check", sla.sla_check, order=40)
