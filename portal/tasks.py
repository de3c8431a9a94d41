"""Daily retention (scheduled in settings.CELERY_BEAT_SCHEDULE): purge the
signal journal, archive the logbook's expired prefix. One run at a time
(a PostgreSQL advisory lock), so two beats or a manual run never overlap."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection

from portal.retention import RetentionError, archive_logbook, purge_signals

logger = logging.getLogger(__name__)
RETENTION_LOCK = 0x4152435F52455431  # "ARC_RET1"


@shared_task(name="portal.retention", ignore_result=True)
def retention() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RETENTION_LOCK])
        if not cursor.fetchone()[0]:
            logger.info("retention already running elsewhere")
            return
        try:
            deleted = purge_signals()
            try:
                checkpoint = archive_logbook()
            except RetentionError:
                # A logbook that does not verify is evidence: keep everything, shout.
                logger.error("logbook retention refused", exc_info=True)
                checkpoint = None
            logger.info("retention: %s signals deleted, logbook checkpoint %s", deleted, checkpoint)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RETENTION_LOCK])
