from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from campaigns import selectors, services
from campaigns.models import BroadcastRun, Campaign, Coupon, Delivery, Enrollment, Step, Suppression, Variant
from carecrm.admin import ReadOnlyAdmin


class StepInline(admin.StackedInline):
    model = Step
    extra = 0
    fields = [
        ("position", "name", "delay_minutes", "purpose"),
        ("on_exit", "skip_if_ordered", "condition"),
        "subject",
        "html",
        "text",
        ("coupon_kind", "coupon_value", "coupon_valid_days"),
    ]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Campaigns are edited here or in the console; status moves only through the service's map."""

    list_display = ["name", "slug", "kind", "status", "trigger_kind", "holdout_percent", "updated_at"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "slug"]
    readonly_fields = ["status", "last_run_at", "results"]
    inlines = [StepInline]
    actions = ["activate", "pause", "archive"]

    @admin.display(description="Results")
    def results(self, campaign: Campaign) -> str:
        if not campaign.pk:
            return "Save to see results."
        rows = selectors.campaign_results(campaign)
        return (
            "; ".join(
                f"#{row.position}{row.variant}: {row.sent} sent, {row.open_rate:.0%} opened, "
                f"{row.conversion_rate:.0%} converted"
                for row in rows
            )
            or "Nothing sent yet."
        )

    def _move(self, request, queryset, to: str) -> None:
        for campaign in queryset:
            try:
                services.campaign_status_set(campaign=campaign, to=to)
            except ValidationError as error:
                self.message_user(request, f"{campaign}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{campaign} is {to}.")

    @admin.action(description="Activate")
    def activate(self, request, queryset):
        self._move(request, queryset, Campaign.Status.ACTIVE)

    @admin.action(description="Pause")
    def pause(self, request, queryset):
        self._move(request, queryset, Campaign.Status.PAUSED)

    @admin.action(description="Archive")
    def archive(self, request, queryset):
        self._move(request, queryset, Campaign.Status.ARCHIVED)


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["step", "name", "subject"]
    list_select_related = ["step__campaign"]


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "customer", "state", "held_out", "triggered_at", "next_position", "due_at"]
    list_filter = ["campaign", "state", "held_out"]
    list_select_related = ["campaign", "customer"]
    raw_id_fields = ["customer", "event", "exit_event"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "step", "customer", "status", "reason", "due_at", "sent_at", "opened_at"]
    list_filter = ["campaign", "status"]
    search_fields = ["to", "message_id", "esp_message_id"]
    list_select_related = ["campaign", "step", "customer"]
    raw_id_fields = ["customer", "enrollment", "run"]


@admin.register(BroadcastRun)
class BroadcastRunAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "scheduled_for", "audience", "fanned_out_at"]


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    list_display = ["code", "customer", "kind", "value", "currency", "expires_at", "redeemed_at"]
    search_fields = ["code", "customer__email"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer", "delivery"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "created_at", "note"]
    list_filter = ["reason"]
    search_fields = ["email"]
