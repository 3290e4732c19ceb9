from celery import shared_task

from carecrm import clock
from lifecycle import services


@shared_task(name="lifecycle.event_dispatch")
def event_dispatch_task(event_id: int) -> bool:
    return services.event_dispatch(event_id=event_id, now=clock.now())
