"""Metrics of the notifier: templates and outcomes only, never who the email was for."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.notifier.domain.emails import Template

EMAILS = Counter(
    "rencontres_emails_total",
    "Emails handled, by template and outcome (sent, retry, failed, skipped)",
    ["template", "outcome"],
)
EMAIL_SEND_SECONDS = Histogram(
    "rencontres_email_send_duration_seconds",
    "Time to send one email: contact and agenda fetched, rendered, accepted by SMTP",
    ["template"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EMAIL_QUEUE = Gauge(
    "rencontres_email_queue_messages",
    "Emails due now and not yet sent (pending or being sent)",
    multiprocess_mode="mostrecent",
)
EMAIL_SCHEDULED = Gauge(
    "rencontres_email_scheduled_messages",
    "Emails waiting for a later due time (change notices, reminders, retries)",
    multiprocess_mode="mostrecent",
)
EMAIL_OLDEST_DUE_REMINDER = Gauge(
    "rencontres_email_oldest_due_reminder_age_seconds",
    "How long the oldest due and unsent reminder has been waiting (0 when none)",
    multiprocess_mode="mostrecent",
)

# Every template's series at 0 from the start: alerts see them before the first email.
for _template in Template:
    for _outcome in ("sent", "retry", "failed", "skipped"):
        EMAILS.labels(_template.value, _outcome)
    EMAIL_SEND_SECONDS.labels(_template.value)
