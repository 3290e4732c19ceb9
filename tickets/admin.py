"""Tickets in the admin, for reading: the inbox in the console is where agents work on them."""

from django.contrib import admin

from carecrm.admin import ReadOnlyAdmin, ReadOnlyInline
from tickets.models import Message, Ticket


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "direction", "kind", "from_address", "to_address", "text", "delivery"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["reference", "subject", "customer", "channel", "status", "priority", "created_at"]
    list_filter = ["status", "priority", "channel", "category"]
    list_select_related = ["customer"]
    search_fields = ["reference", "subject", "customer__email"]
    raw_id_fields = ["customer", "order"]
    inlines = [MessageInline]
