"""Celery tasks of the notifier; `celery_app` is what `rencontres notifier worker` runs."""

from __future__ import annotations

from services.notifier.settings import NotifierSettings
from shared.tasks import make_celery

celery_app = make_celery("notifier", NotifierSettings())
