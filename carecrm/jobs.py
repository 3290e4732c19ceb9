"""Registry of time-driven jobs. Each app registers its jobs in `AppConfig.ready()`; `manage.py tick`
runs them all synchronously and the `carecrm.tick` Celery task fans them out to the workers, so this
package stays below every app."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[..., str]  # run(*, now) -> a line saying what it did
    order: int


_jobs: dict[str, Job] = {}


def register(name: str, run: Callable[..., str], *, order: int = 100) -> None:
    """Register `run(*, now) -> str`. Lower `order` runs first in `tick` (the event sweep goes first)."""
    _jobs[name] = Job(name=name, run=run, order=order)


def all_jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: (job.order, job.name))


def get(name: str) -> Job:
    return _jobs[name]


def run_all(*, now: datetime) -> list[tuple[str, str]]:
    return [(job.name, job.run(now=now)) for job in all_jobs()]
