from celery import shared_task

from carecrm import clock
from tickets import outbound


# Well under the broker's visibility timeout; a send cut short by the soft limit is marked failed.
@shared_task(name="tickets.message_send", soft_time_limit=50, time_limit=60)
def message_send_task(message_id: int) -> str:
    return outbound.message_send(message_id=message_id, now=clock.now())
