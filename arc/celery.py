"""The Celery app. Workers run deadlines claimed from PostgreSQL rows (DESIGN.md rule 3)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arc.settings")

app = Celery("arc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _timers(sender, **kwargs):
    """The beat schedule (set once the settings are read, never at import time).

    The tick is a doorbell, not a record: a tick that could not run within 2 s
    is dropped (``expires``) rather than piled up behind a dead worker, since
    the next one claims the same due rows anyway. Beat also runs the timers
    watchdog (dispatch/beat.py).
    """
    sender.conf.beat_schedule = {
        "dispatch-tick": {"task": "dispatch.tick", "schedule": 1.0, "options": {"expires": 2.0}},
        **(sender.conf.beat_schedule or {}),
    }
    sender.conf.beat_scheduler = "dispatch.beat:Scheduler"


# Workers run the timers watchdog too (dispatch/worker.py): it notices a dead beat.
from dispatch.worker import TimersWatchdog  # noqa: E402

app.steps["worker"].add(TimersWatchdog)
