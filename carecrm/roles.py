"""Staff roles are Django groups. Their permissions are named here by pattern, so that a model a later
app adds is covered without touching this file: `orders.view_*` grants viewing every orders model. A
pattern starting with `!` takes back what the others grant: an agent works every ticket but leaves the
proactive chat invitations, which decide whom the shop interrupts, to managers."""

from fnmatch import fnmatchcase

AGENT = "agent"
MARKETER = "marketer"
MANAGER = "manager"
ADMIN = "admin"
INTEGRATION = "integration"

_READ_ALL = ["*.view_*"]

ROLES: dict[str, list[str]] = {
    AGENT: [
        "customers.view_*",
        "customers.change_customer",
        "customers.add_customeridentity",
        "customers.change_customeridentity",
        "customers.add_tag",
        "lifecycle.view_*",
        "orders.view_*",
        "orders.change_return",
        "orders.change_orderalert",
        "knowledgebase.view_*",
        "tickets.*",
        "!tickets.add_chatinvitationrule",
        "!tickets.change_chatinvitationrule",
        "!tickets.delete_chatinvitationrule",
        # goodwill coupons from the customer page
        "campaigns.view_coupon",
        "campaigns.add_coupon",
    ],
    MARKETER: [
        "customers.view_*",
        "customers.add_tag",
        "lifecycle.view_*",
        "lifecycle.*_segment",
        "orders.view_*",
        "knowledgebase.view_*",
        "campaigns.*",
        "django_celery_beat.view_*",
    ],
    MANAGER: [
        *_READ_ALL,
        "console.*",
        "customers.*",
        "lifecycle.*_segment",
        "tickets.*",
        "campaigns.*",
        "knowledgebase.*",
    ],
    ADMIN: ["*.*"],
    INTEGRATION: [
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "lifecycle.view_event",
        "orders.*",
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.add_message",
        "knowledgebase.view_*",
    ],
}
# Roles that work in the console and the admin; the integration role only talks to the API.
STAFF_ROLES = (AGENT, MARKETER, MANAGER, ADMIN)


def permission_matches(patterns: list[str], app_label: str, codename: str) -> bool:
    app_codename = f"{app_label}.{codename}"
    granted = any(fnmatchcase(app_codename, pattern) for pattern in patterns if not pattern.startswith("!"))
    return granted and not any(
        fnmatchcase(app_codename, pattern[1:]) for pattern in patterns if pattern.startswith("!")
    )


def roles_sync(group_model, permission_model) -> None:
    """Create the role groups and give each exactly the permissions its patterns name. Idempotent."""
    permissions = list(permission_model.objects.select_related("content_type"))
    for role, patterns in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = [
            p for p in permissions if permission_matches(patterns, p.content_type.app_label, p.codename)
        ]
        group.permissions.set(wanted)
