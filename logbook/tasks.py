"""Celery tasks of the logbook: thin, they take ids."""

from celery import shared_task

from logbook.exports import export_build


@shared_task(name="logbook.export_build", acks_late=True)
def export_build_task(job_id: str) -> bool:
    return export_build(job_id)
