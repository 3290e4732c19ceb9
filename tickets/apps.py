from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        from anymail.signals import inbound

        from carecrm import demo, jobs, privacy
        from lifecycle import segments
        from tickets import demo as tickets_demo
        from tickets import esp, outbound, portal, segment_fields, sla
        from tickets.chat import identity as chat_identity
        from tickets.chat import services as chat
        from tickets.privacy import HOLDER as PERSONAL_DATA

        for field in segment_fields.FIELDS:
            segments.field_register(field)
        jobs.register("ticket_email_recovery", outbound.messages_recover, order=29)
        jobs.register("ticket_emails", outbound.messages_sweep, order=30)
        jobs.register("sla_check", sla.sla_check, order=40)
        jobs.register("chats_missed", chat.chats_missed, order=28)
        jobs.register("chat_tokens_purge", chat_identity.token_uses_purge, order=95)
        jobs.register("signin_links_purge", portal.signin_links_purge, order=95)
        demo.register("tickets", tickets_demo.tickets_seed, order=30, present=tickets_demo.tickets_present)
        # Anymail hands ESP inbound mail to this signal only; the receiver just calls the ingest service.
        inbound.connect(esp.inbound_received, dispatch_uid="tickets.esp.inbound_received")
        privacy.register(PERSONAL_DATA)
