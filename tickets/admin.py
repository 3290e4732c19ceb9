"""Tickets in the admin, for reading: the inbox in the console is where agents work on them."""

from django.contrib import admin

from carecrm.admin import ReadOnlyAdmin, ReadOnlyInline
from tickets.models import (
    BusinessCalendar,
    Chat,
    ChatInvitationRule,
    ChatPresence,
    Holiday,
    Message,
    Rule,
    SlaPolicy,
    Team,
    TeamMember,
    Ticket,
)


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


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    inlines = [HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["priority", "calendar", "first_response_minutes", "resolution_minutes"]
    list_select_related = ["calendar"]


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 1
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "categories", "assignment"]
    inlines = [TeamMemberInline]


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active", "set_priority", "set_team"]
    list_editable = ["position", "is_active"]
    list_select_related = ["set_team"]


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdmin):
    list_display = ["pk", "ticket", "status", "agent", "identified", "started_at", "accepted_at", "ended_at"]
    list_filter = ["status", "identified"]
    list_select_related = ["ticket", "agent"]
    exclude = ["visitor_key_hash"]


@admin.register(ChatPresence)
class ChatPresenceAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "max_chats", "last_seen_at"]
    list_editable = ["max_chats"]
    list_select_related = ["user"]
    readonly_fields = ["last_seen_at"]
    raw_id_fields = ["user"]


@admin.register(ChatInvitationRule)
class ChatInvitationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active", "page_contains", "cart_idle_minutes", "cart_min_value"]
    list_editable = ["position", "is_active"]
