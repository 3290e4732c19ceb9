from celery import shared_task

from carecrm import clock
from orders import notifications


# Well under the broker's visibility timeout; a send cut short by the soft limit is marked failed.
@shared_task(name="orders.notification_send", soft_time_limit=50, time_limit=60)
def notification_send_task(notification_id: int) -> str:
    return notifications.notification_send(notification_id=notification_id, now=clock.now())
