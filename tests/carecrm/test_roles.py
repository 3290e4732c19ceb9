import pytest
from django.contrib.auth.models import Group, Permission

from carecrm.roles import ROLES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group_created_by_the_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            "agent",
            [
                "customers.view_customer",
                "customers.change_customer",
                "lifecycle.view_event",
                "tickets.change_chat",
                "tickets.view_chatinvitationrule",
            ],
            # Whom the shop invites to chat mid-visit is the managers' decision.
            ["customers.delete_customer", "auth.add_user", "tickets.change_chatinvitationrule"],
        ),
        (
            "marketer",
            ["customers.view_customer", "lifecycle.view_event"],
            ["customers.change_customer", "auth.change_user"],
        ),
        (
            "manager",
            [
                "customers.view_customer",
                "customers.delete_customer",
                "auth.view_user",
                "tickets.change_chatinvitationrule",
            ],
            ["auth.change_user", "lifecycle.delete_event"],
        ),
        ("admin", ["auth.change_user", "lifecycle.delete_event"], []),
        (
            "integration",
            ["customers.add_customer", "customers.change_customer", "customers.view_customer"],
            ["customers.delete_customer", "auth.view_user"],
        ),
    ],
)
def test_roles_grant_what_the_job_needs_and_no_more(role, allowed, refused):
    user = UserFactory(role=role)
    for perm in allowed:
        assert user.has_perm(perm), f"{role} should have {perm}"
    for perm in refused:
        assert not user.has_perm(perm), f"{role} should not have {perm}"


def test_admin_role_holds_every_permission():
    assert Group.objects.get(name="admin").permissions.count() == Permission.objects.count()
