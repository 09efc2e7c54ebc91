"""Celery tasks of the notifier; `celery_app` is what `rencontres notifier worker` runs.

Tasks get an email row id, never an object; the row's state makes a repeated task harmless.
"""

from __future__ import annotations

import functools
import threading

from celery.schedules import crontab

from services.notifier.adapters.directory import Registration, Scheduler, Surveys
from services.notifier.adapters.queue import DISPATCH_TASK, RETENTION_TASK, SEND_TASK
from services.notifier.adapters.rendering import Brand, Renderer
from services.notifier.adapters.smtp import SmtpConfig, SmtpConnection
from services.notifier.bootstrap import Notifier, bootstrap
from services.notifier.entrypoints.sender import Sender
from services.notifier.service_layer.dispatch import dispatch_due as dispatch_due_rows
from services.notifier.service_layer.retention import apply_retention
from services.notifier.service_layer.sending import RetryPolicy
from services.notifier.settings import NotifierSettings
from shared.retention import run as retention_run
from shared.tasks import make_celery

_settings = NotifierSettings()
celery_app = make_celery("notifier", _settings)
celery_app.conf.beat_schedule = {
    "notifier-dispatch-due": {
        "task": DISPATCH_TASK,
        "schedule": _settings.email_poll_interval_s,
        # Behind a long queue of sends, a round not yet started is replaced by the next one.
        "options": {"expires": max(_settings.email_poll_interval_s * 2, 1.0)},
    },
    # Once a day, at night (Paris time): what RETENTION_MONTHS no longer lets us keep.
    "notifier-retention": {
        "task": RETENTION_TASK,
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 12 * 3600},
    },
}


_building = threading.Lock()


@functools.cache
def _notifier() -> Notifier:
    return bootstrap(_settings)


def notifier() -> Notifier:
    """Built once per worker process, on first use, shared by its sending threads."""
    with _building:  # two threads starting at once build one
        return _notifier()


def make_sender(app: Notifier) -> Sender:
    s = app.settings
    return Sender(
        factory=app.kit.factory,
        outbox=app.kit.outbox,
        renderer=Renderer(
            Brand(
                edition_name=s.brand_edition_name,
                organiser=s.brand_organiser,
                logo_url=s.brand_logo_url,
                address=s.brand_address,
                contact=s.brand_contact,
            ),
            timezone=s.timezone,
        ),
        agenda_days_before=s.agenda_sent_days_before,
        registration=Registration(
            s.registration_internal_url,
            s.service_token.get_secret_value(),
            s.http_timeout_s,
            "l'inscription",
        ),
        scheduler=Scheduler(
            s.scheduler_internal_url,
            s.service_token.get_secret_value(),
            s.http_timeout_s,
            "le planning",
        ),
        surveys=Surveys(
            s.surveys_internal_url,
            s.service_token.get_secret_value(),
            s.http_timeout_s,
            "le service des questionnaires",
        ),
        smtp=SmtpConnection(
            SmtpConfig(
                host=s.smtp_host,
                port=s.smtp_port,
                starttls=s.smtp_starttls,
                ssl=s.smtp_ssl,
                user=s.smtp_user,
                password=s.smtp_password.get_secret_value(),
                timeout_s=s.smtp_timeout_s,
                ca_file=s.smtp_ca_file,
            )
        ),
        mail_from=s.mail_from,
        message_id_domain=s.message_id_domain(),
        retry=RetryPolicy(
            max_attempts=s.email_max_attempts,
            base_s=s.email_retry_base_s,
            max_s=s.email_retry_max_s,
        ),
    )


_per_thread = threading.local()


def sender() -> Sender:
    """One per sending thread: each keeps its own SMTP connection between messages."""
    if not hasattr(_per_thread, "sender"):
        _per_thread.sender = make_sender(notifier())
    found: Sender = _per_thread.sender
    return found


@celery_app.task(name=SEND_TASK)
def send_email(email_id: int) -> str:
    """Send one row of the log; retries are rows due later, enqueued by the beat."""
    return str(sender().send(email_id))


@celery_app.task(name=DISPATCH_TASK)
def dispatch_due() -> int:
    app = notifier()
    return dispatch_due_rows(app.kit.engine, app.dispatcher, app.settings)


@celery_app.task(name=RETENTION_TASK)
def retention() -> int:
    """Logged and counted by the runner; returns how many rows it erased or emptied."""
    return retention_run(notifier().kit, apply_retention)[1].total
