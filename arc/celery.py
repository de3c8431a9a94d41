"""The Celery app. Workers run deadlines claimed from PostgreSQL rows (DESIGN.md rule 3)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arc.settings")

app = Celery("arc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
