"""Sending one message over SMTP, in two steps so the log can record the point of no return.

`open()` does everything that may fail harmlessly (connect, TLS, login, MAIL FROM, RCPT TO);
`deliver()` sends DATA, the only step after which the server may hold the message.
"""

from __future__ import annotations

import smtplib
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


class SmtpTransaction:
    """One message: opened up to RCPT TO, then delivered (DATA) or abandoned."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.client: smtplib.SMTP | None = None

    def open(self, sender: str, recipient: str) -> None:
        cfg = self.config
        try:
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
            code, reply = client.mail(sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            code, reply = client.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
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
        assert self.client is not None, "open() first"
        try:
            code, reply = self.client.data(message)
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPResponseException as exc:
            raise _from_response(exc) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise _temporary(exc) from exc
        finally:
            self.close()

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None
