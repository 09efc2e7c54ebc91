"""Settings that would break a guarantee are refused at start, in French."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.notifier.settings import NotifierSettings


def test_a_send_is_retaken_only_after_the_smtp_timeout():
    settings = NotifierSettings()
    assert settings.email_sending_stale_s > settings.smtp_timeout_s
    assert settings.email_sending_stale_s + settings.email_poll_interval_s < 60
    with pytest.raises(ValidationError, match="EMAIL_SENDING_STALE_S doit dépasser SMTP_TIMEOUT_S"):
        NotifierSettings(email_sending_stale_s=30, smtp_timeout_s=30)


def test_ssl_and_starttls_are_exclusive():
    with pytest.raises(ValidationError, match="s'excluent"):
        NotifierSettings(smtp_ssl=True, smtp_starttls=True)
