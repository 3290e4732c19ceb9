from django.contrib import admin

from carecrm import clock
from lifecycle.models import Event, EventHandling, Segment
from lifecycle.segments import SegmentError, segment_preview


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


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Segments are written as rules (see lifecycle.segments); the change page previews who is in one."""

    list_display = ["name", "description", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["preview"]

    @admin.display(description="Customers now")
    def preview(self, segment: Segment) -> str:
        if not segment.pk:
            return "Save to preview."
        try:
            count, sample = segment_preview(segment.rule, now=clock.now(), sample=5)
        except SegmentError as error:
            return str(error)
        shown = ", ".join(str(customer) for customer in sample)
        return f"{count} customers" + (f", such as {shown}" if shown else "")
