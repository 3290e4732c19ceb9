from django.contrib import admin

from lifecycle.models import Event, EventHandling


class EventHandlingInline(admin.TabularInline):
    model = EventHandling
    extra = 0
    can_delete = False
    readonly_fields = ["subscriber", "handled_at", "handled_by"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The log is append-only: it can be read and searched here, never edited."""

    list_display = ["occurred_at", "kind", "customer", "summary", "dispatched_at", "dispatch_attempts"]
    list_filter = ["kind"]
    search_fields = ["customer__email", "customer__external_id", "summary"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    inlines = [EventHandlingInline]
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
