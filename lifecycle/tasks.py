from celery import shared_task

from carecrm import clock
from lifecycle import services


@shared_task(name="lifecycle.event_dispatch")
def event_dispatch_task(event_id: int) -> bool:
    return services.event_dispatch(event_id=event_id, now=clock.now())


@shared_task(name="lifecycle.events_dispatch")
def events_dispatch_task(event_ids: list[int]) -> int:
    """The events of one bulk write (lifecycle.services.events_dispatched_together), in order."""
    now = clock.now()
    return sum(services.event_dispatch(event_id=event_id, now=now) for event_id in event_ids)
