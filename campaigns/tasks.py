from celery import shared_task

from campaigns import sending, services
from carecrm import clock


@shared_task(name="campaigns.deliveries_send")
def deliveries_send_task(delivery_ids: list[int]) -> dict:
    return sending.deliveries_send(delivery_ids=delivery_ids, now=clock.now())


@shared_task(name="campaigns.broadcast_fan_out")
def broadcast_fan_out_task(run_id: int) -> int:
    return services.broadcast_fan_out(run_id=run_id, now=clock.now())
