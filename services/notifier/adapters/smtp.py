"""Sending one message over SMTP, in two steps so the log can record the point of no return.

`open()` does everything that may fail harmlessly (connect, TLS, login, MAIL FROM, RCPT TO);
`deliver()` sends DATA, the only step after which the server may hold the message. The
connection is kept for the next message of the same sending thread (one per thread: smtplib's
client is not shared).
"""

from __future__ import annotations

import smtplib
import time
from dataclasses import dataclass
from ssl import SSLContext, create_default_context

from services.notifier.domain.emails import SendError, classify_smtp_code


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool = False
    ssl: bool = False
    user: str = ""
    password: str = ""
    timeout_s: float = 30.0
    ca_file: str = ""

    def tls_context(self) -> SSLContext:
        """Certificates are always verified; a private CA can be given, never switched off."""
        return create_default_context(cafile=self.ca_file or None)


# Said in the email log when the relay cannot carry an accented mailbox: no retry can help.
NO_SMTPUTF8 = (
    "adresse non acceptée par le serveur d'envoi : il ne prend pas en charge les caractères "
    "accentués avant @ (SMTPUTF8) ; demandez une autre adresse à la personne"
)


def _temporary(exc: BaseException) -> SendError:
    return SendError(f"serveur SMTP injoignable : {type(exc).__name__}", permanent=False)


def _from_response(exc: smtplib.SMTPResponseException) -> SendError:
    text = (
        exc.smtp_error.decode(errors="replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return SendError(
        f"{exc.smtp_code} {text}"[:500],
        permanent=classify_smtp_code(exc.smtp_code),
        code=exc.smtp_code,
    )


class SmtpConnection:
    """A sending thread's connection to the SMTP server, kept between messages (TLS and login once).

    Each message is `open()` (MAIL FROM, RCPT TO), then `deliver()` (DATA) or `abandon()`.
    A kept connection found closed by the server when a message starts is reopened once; one
    idle longer than `idle_s` is not trusted and reopened.
    """

    def __init__(self, config: SmtpConfig, idle_s: float = 30.0) -> None:
        self.config = config
        self.idle_s = idle_s
        self.client: smtplib.SMTP | None = None
        self.used_at = 0.0

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        if cfg.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout_s, context=cfg.tls_context()
            )
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
        self.client = client
        client.ehlo()
        if cfg.starttls:
            client.starttls(context=cfg.tls_context())
            client.ehlo()
        if cfg.user:
            client.login(cfg.user, cfg.password)
        return client

    def _envelope(self, client: smtplib.SMTP, sender: str, recipient: str, smtputf8: bool) -> None:
        options: list[str] = []
        if smtputf8:
            if not client.has_extn("smtputf8"):
                raise SendError(NO_SMTPUTF8, permanent=True)
            options.append("SMTPUTF8")
        code, reply = client.mail(sender, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})

    def open(self, sender: str, recipient: str, smtputf8: bool = False) -> None:
        """MAIL FROM and RCPT TO, with SMTPUTF8 for an accented mailbox (`smtputf8`): refused
        for good when the server does not offer it."""
        if self.client is not None and time.monotonic() - self.used_at > self.idle_s:
            self.close()
        try:
            if self.client is not None:
                try:
                    self._envelope(self.client, sender, recipient, smtputf8)
                    return
                except (OSError, smtplib.SMTPServerDisconnected):
                    self.close()  # closed by the server while idle: once more, afresh
                except smtplib.SMTPResponseException as exc:
                    if exc.smtp_code != 421:
                        raise
                    self.close()
            self._envelope(self._connect(), sender, recipient, smtputf8)
        except smtplib.SMTPAuthenticationError as exc:
            # The configuration is wrong, not the message: retried while someone fixes it.
            self.close()
            raise SendError(
                f"authentification SMTP refusée ({exc.smtp_code})",
                permanent=False,
                code=exc.smtp_code,
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, reply = next(iter(exc.recipients.values()))
            raise _from_response(smtplib.SMTPResponseException(code, reply)) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _from_response(exc) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            self.close()
            raise _temporary(exc) from exc

    def deliver(self, message: bytes) -> None:
        """DATA: the step after which the server may hold the message."""
        assert self.client is not None, "open() first"
        try:
            code, reply = self.client.data(message)
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _from_response(exc) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise _temporary(exc) from exc
        self.used_at = time.monotonic()

    def abandon(self) -> None:
        """Drop the message opened (RSET); the connection stays for the next one."""
        if self.client is None:
            return
        try:
            self.client.rset()
            self.used_at = time.monotonic()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None
