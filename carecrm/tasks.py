from celery import shared_task

from carecrm import clock, jobs


@shared_task(name="carecrm.tick")
def tick() -> None:
    """Beat rings once a minute; each registered job then runs as its own task on any worker."""
    for job in jobs.all_jobs():
        run_job.delay(job.name)


@shared_task(name="carecrm.run_job")
def run_job(name: str) -> str:
    return jobs.get(name).run(now=clock.now())
