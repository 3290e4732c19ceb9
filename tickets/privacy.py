"""The customer's tickets, every message on them, attachments, satisfaction ratings, chats and chat
invitations. Erasure keeps each ticket's dates, channel, category and SLA figures (and each chat's and
invitation's times and outcome) for the reports, and drops every word, file and page address."""

from carecrm.privacy import Holder
from tickets.models import Attachment, Chat, ChatInvitation, CsatRating, Message, SignInLink, SlaAlert, Ticket


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
        "chats": list(
            Chat.objects.filter(**by_ticket)
            .order_by("pk")
            .values("ticket_id", "status", "identified", "page_url", "started_at", "accepted_at", "ended_at")
        ),
        "chat_invitations": list(
            ChatInvitation.objects.filter(customer_id=customer_id)
            .order_by("pk")
            .values("rule__name", "page_url", "sent_at", "answer", "answered_at")
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
        "chats": Chat.objects.filter(**by_ticket).update(page_url=""),
        "chat_invitations": ChatInvitation.objects.filter(customer_id=customer_id).update(
            customer=None, visitor="", page_url=""
        ),
    }


HOLDER = Holder(
    name="tickets",
    export=export,
    erase=erase,
    models=("tickets.ticket", "tickets.signinlink", "tickets.chatinvitation"),
    order=40,
)
