"""The customer's tickets, every message on them, attachments and satisfaction ratings. Erasure keeps
each ticket's dates, channel, category and SLA figures for the reports, and drops every word and file."""

from carecrm.privacy import Holder
from tickets.models import Attachment, CsatRating, Message, SignInLink, SlaAlert, Ticket


def export(customer_id: int) -> dict:
    by_ticket = {"ticket__customer_id": customer_id}
    return {
        "tickets": list(Ticket.objects.filter(customer_id=customer_id).order_by("created_at", "id").values()),
        "messages": list(Message.objects.filter(**by_ticket).order_by("created_at", "id").values()),
        "attachments": list(
            Attachment.objects.filter(message__ticket__customer_id=customer_id)
            .order_by("pk")
            .values("message_id", "filename", "content_type", "size")
        ),
        "ratings": list(CsatRating.objects.filter(**by_ticket).order_by("pk").values()),
        "sla_alerts": list(SlaAlert.objects.filter(**by_ticket).order_by("pk").values()),
        "signin_links": list(
            SignInLink.objects.filter(customer_id=customer_id).values("purpose", "created_at", "used_at")
        ),
    }


def erase(customer_id: int) -> dict:
    by_ticket = {"ticket__customer_id": customer_id}
    attachments = 0
    for attachment in Attachment.objects.filter(message__ticket__customer_id=customer_id):
        attachment.file.delete(save=False)
        attachment.delete()
        attachments += 1
    return {
        "tickets": Ticket.objects.filter(customer_id=customer_id).update(subject="(erased)"),
        "messages": Message.objects.filter(**by_ticket).update(
            from_address="", to_address="", subject="", text="", html="", delivery_error=""
        ),
        "attachments": attachments,
        "ratings": CsatRating.objects.filter(**by_ticket).update(comment=""),
        "signin_links": SignInLink.objects.filter(customer_id=customer_id).delete()[0],
    }


HOLDER = Holder(
    name="tickets", export=export, erase=erase, models=("tickets.ticket", "tickets.signinlink"), order=40
)
