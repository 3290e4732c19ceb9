from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        from anymail.signals import inbound

        from carecrm import jobs
        from tickets import esp, outbound, sla

        jobs.register("ticket_emails", outbound.messages_sweep, order=30)
        jobs.register("sla_check", sla.sla_check, order=40)
        inbound.connect(esp.inbound_received, dispatch_uid="tickets.esp.inbound_received")
