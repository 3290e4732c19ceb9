from django.contrib import admin

from customers.models import Customer, CustomerIdentity, Tag


class CustomerIdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 0
    readonly_fields = ["created_at"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "email",
        "external_id",
        "lifecycle_stage",
        "orders_count",
        "total_spent",
        "registered_at",
    ]
    list_filter = ["lifecycle_stage", "marketing_opt_in", "acquisition_channel", "country"]
    search_fields = ["email", "external_id", "first_name", "last_name", "phone", "identities__value"]
    readonly_fields = [
        "lifecycle_stage",
        "stage_changed_at",
        "orders_count",
        "total_spent",
        "first_order_at",
        "last_order_at",
        "merged_into",
        "created_at",
        "updated_at",
    ]
    filter_horizontal = ["tags"]
    inlines = [CustomerIdentityInline]
    show_full_result_count = False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
