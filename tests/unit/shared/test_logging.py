"""The log format every process uses, and the libraries kept quiet in it."""

from __future__ import annotations

import logging

import httpx
import pytest

from shared.logging import CHATTY, configure_logging


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    saved = root.level, list(root.handlers), {n: logging.getLogger(n).level for n in CHATTY}
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def _call_and_warn() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with httpx.Client(transport=transport) as client:
        client.get("http://registration.local/internal/participants/p-123")
    logging.getLogger("services.notifier").warning("relais SMTP injoignable")


def test_internal_calls_are_not_a_line_each_at_info(capsys):
    configure_logging("INFO")
    _call_and_warn()
    err = capsys.readouterr().err
    assert "WARNING services.notifier: relais SMTP injoignable" in err
    assert "/internal/participants/p-123" not in err


def test_debug_shows_every_call(capsys):
    configure_logging("DEBUG")
    _call_and_warn()
    err = capsys.readouterr().err
    assert "/internal/participants/p-123" in err
