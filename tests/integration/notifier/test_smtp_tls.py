"""STARTTLS and implicit TLS with a login, against a real SMTP server with its own certificate."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.notifier.adapters.smtp import SmtpConfig, SmtpConnection
from services.notifier.domain.emails import SendError
from tests.support.notifier import SinkHandler
from tests.support.servers import free_port

MESSAGE = b"From: a@pes21.example\r\nTo: b@exemple.org\r\nSubject: test\r\n\r\nBonjour\r\n"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"secret"
    return AuthResult(success=ok)


def serve(certificate, *, implicit: bool):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = SinkHandler()
    port = free_port()
    options = dict(
        authenticator=authenticator,
        auth_required=True,
        # with implicit TLS aiosmtpd does not know the socket is encrypted
        auth_require_tls=not implicit,
    )
    if implicit:
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, ssl_context=context, server_kwargs=options
        )
    else:
        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=port,
            server_kwargs={**options, "tls_context": context, "require_starttls": True},
        )
    controller.start()
    return controller, handler, port


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "ssl"])
def test_tls_and_login(certificate, implicit):
    controller, handler, port = serve(certificate, implicit=implicit)
    try:
        config = SmtpConfig(
            host="127.0.0.1",
            port=port,
            starttls=not implicit,
            ssl=implicit,
            user="rencontres",
            password="secret",
            timeout_s=10,
            ca_file=str(certificate[0]),
        )
        smtp = SmtpConnection(config)
        smtp.open("a@pes21.example", "b@exemple.org")
        smtp.deliver(MESSAGE)
        assert len(handler.messages) == 1
        # an unknown certificate is refused (temporary: fixing the configuration helps)
        with pytest.raises(SendError) as untrusted:
            SmtpConnection(SmtpConfig(**{**config.__dict__, "ca_file": ""})).open(
                "a@pes21.example", "b@exemple.org"
            )
        assert not untrusted.value.permanent
    finally:
        controller.stop()


def test_connection_refused_is_temporary():
    with pytest.raises(SendError) as failure:
        SmtpConnection(SmtpConfig(host="127.0.0.1", port=free_port(), timeout_s=2)).open(
            "a@pes21.example", "b@exemple.org"
        )
    assert not failure.value.permanent


def test_the_connection_is_kept_and_reopened_when_the_server_closed_it():
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = SmtpConnection(SmtpConfig(host="127.0.0.1", port=port, timeout_s=5))
    for _ in range(2):
        smtp.open("a@pes21.example", "b@exemple.org")
        smtp.deliver(MESSAGE)
    assert len(handler.peers) == 2 and handler.peers[0] == handler.peers[1]  # one connection
    controller.stop()  # the server goes away (restart, idle timeout)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp.open("a@pes21.example", "b@exemple.org")
        smtp.deliver(MESSAGE)
        assert len(handler.messages) == 3 and handler.peers[2] != handler.peers[1]
        smtp.open("a@pes21.example", "c@exemple.org")
        smtp.abandon()  # RSET: nothing sent, the connection stays
        smtp.open("a@pes21.example", "d@exemple.org")
        smtp.deliver(MESSAGE)
        assert len(handler.messages) == 4 and handler.peers[3] == handler.peers[2]
    finally:
        smtp.close()
        controller.stop()
