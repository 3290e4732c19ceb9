"""Demo data. Each app registers a seeder in its `AppConfig.ready()`; `manage.py seed_demo` runs them in
order (staff users first, then customers, then whatever builds on them), so this module stays below
every app. The demo staff users are defined here once: the users seeder creates them and
`manage.py demo_logins` prints them.

A seeder is `seeder(*, options, progress, now) -> str`: it builds its data as of `now`, draws every
random choice from `options.seed` so that two runs build the same data, reports its advance through
`progress` and returns a line saying what it did."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from carecrm import roles

# Printed by `make run` and in the README: these accounts exist only in demo databases.
DEMO_PASSWORD = "carecrm-demo"  # noqa: S105


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    does: str  # what the role is for, as demo_logins shows it

    @property
    def is_staff(self) -> bool:
        return self.role in roles.STAFF_ROLES

    @property
    def is_superuser(self) -> bool:
        return self.role == roles.ADMIN

    @property
    def has_password(self) -> bool:
        # The integration role only talks to the API: it signs in with its token, never a form.
        return self.is_staff

    @property
    def has_token(self) -> bool:
        return self.role == roles.INTEGRATION


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("agent", roles.AGENT, "Alex", "Agent", "support agent: inbox, customer view"),
    DemoUser("marketer", roles.MARKETER, "Maya", "Marketer", "campaigns, segments, coupons"),
    DemoUser("manager", roles.MANAGER, "Morgan", "Manager", "dashboards and reports"),
    DemoUser("admin", roles.ADMIN, "Ada", "Admin", "superuser: everything, including /admin/"),
    DemoUser("integration", roles.INTEGRATION, "Store", "Integration", "the store's REST API user"),
)


@dataclass(frozen=True)
class Options:
    customers: int = 200
    seed: int = 1


class Bar(Protocol):
    def update(self, n: int = 1) -> object: ...


class Progress(Protocol):
    """Opens a progress bar: `with progress(total=n, desc="customers") as bar: bar.update(k)`."""

    def __call__(self, *, total: int, desc: str) -> AbstractContextManager[Bar]: ...


@dataclass(frozen=True)
class Seeder:
    name: str
    run: Callable[..., str]  # run(*, options, progress, now) -> a line saying what it did
    order: int
    # Whether this seeder's data is already there; `seed_demo --if-empty` then does nothing at all.
    present: Callable[[], bool] | None


_seeders: dict[str, Seeder] = {}


def register(
    name: str, run: Callable[..., str], *, order: int = 100, present: Callable[[], bool] | None = None
) -> None:
    """Register `run(*, options, progress, now) -> str`. Lower `order` runs first: staff users at 0,
    customers at 10, then the apps that build on customers."""
    _seeders[name] = Seeder(name=name, run=run, order=order, present=present)


def all_seeders() -> list[Seeder]:
    return sorted(_seeders.values(), key=lambda seeder: (seeder.order, seeder.name))


def data_present() -> bool:
    return any(seeder.present() for seeder in all_seeders() if seeder.present is not None)


def run_all(*, options: Options, progress: Progress, now: datetime) -> Iterator[tuple[str, str]]:
    for seeder in all_seeders():
        yield seeder.name, seeder.run(options=options, progress=progress, now=now)


def batches(total: int, size: int) -> Iterator[range]:
    """Index ranges of at most `size`: seeders write one batch per transaction, so SQLite commits a few
    times instead of once per row and a failure loses one batch, not the whole run."""
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


# --- Staff users ------------------------------------------------------------------------------------


def users_seed(*, options: Options, progress: Progress, now: datetime) -> str:
    """One user per role. A username that already exists is left exactly as it is: the seeder never
    resets a password or grants rights to an account someone else made."""
    user_model = get_user_model()
    created = 0
    with transaction.atomic():
        groups = {group.name: group for group in Group.objects.filter(name__in=roles.ROLES)}
        existing = set(
            user_model.objects.filter(username__in=[u.username for u in DEMO_USERS]).values_list(
                "username", flat=True
            )
        )
        for demo in DEMO_USERS:
            if demo.username in existing:
                continue
            user = user_model(
                username=demo.username,
                email=f"{demo.username}@carecrm.example",
                first_name=demo.first_name,
                last_name=demo.last_name,
                is_staff=demo.is_staff,
                is_superuser=demo.is_superuser,
            )
            if demo.has_password:
                user.set_password(DEMO_PASSWORD)
            else:
                user.set_unusable_password()
            user.save()
            user.groups.add(groups[demo.role])
            if demo.has_token:
                Token.objects.get_or_create(user=user)
            created += 1
    kept = len(DEMO_USERS) - created
    return f"{created} demo users created" + (f", {kept} already there" if kept else "")


register("users", users_seed, order=0)
