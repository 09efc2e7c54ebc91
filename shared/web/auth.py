"""Who is calling: the operator's back-office session (one for the four services) or another
service holding the service token.

Sessions live in Redis, under the bus prefix, because every service already talks to it: the
registration service opens one at login and ends it at logout; a password change or a disabled
account ends every session of that account. Each service checks the session on every request,
so an ended session opens nothing anywhere from that moment (no cache to wait for). The cookie
holds only a signed random id; Redis keeps its digest, never the id itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

import redis
from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.settings import BaseServiceSettings

ADMIN_COOKIE = "rencontres_admin"
SERVICE = "service"  # the identity of a caller holding the service token
_SALT = "rencontres-admin-session"


class LoginRequired(Exception):
    """No valid back-office session: the edge sends a person to the login page."""


class ServiceTokenRequired(Exception):
    """An internal route called without the service token."""


def service_token_ok(authorization: str | None, expected: str) -> bool:
    """True for an `Authorization: Bearer <SERVICE_TOKEN>` header (compared in constant time,
    on bytes: any header a client sends is a refusal, never an error)."""
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode("utf-8", "surrogateescape"), expected.encode()
    )


class AdminSessions:
    """The operators' sessions, shared by every service through Redis."""

    def __init__(self, client: redis.Redis, prefix: str, secret: str, hours: int) -> None:
        self.client = client
        self.prefix = prefix
        self.serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.ttl_s = hours * 3600

    @classmethod
    def for_settings(cls, settings: BaseServiceSettings) -> AdminSessions:
        client = redis.Redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=2
        )
        return cls(
            client,
            settings.bus_prefix,
            settings.secret_key.get_secret_value(),
            settings.admin_session_hours,
        )

    def _session_key(self, digest: str) -> str:
        return f"{self.prefix}rencontres:admin-session:{digest}"

    def _account_key(self, email: str) -> str:
        account = hashlib.sha256(email.encode()).hexdigest()[:32]
        return f"{self.prefix}rencontres:admin-account:{account}"

    def _digest(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            session_id = self.serializer.loads(cookie, max_age=self.ttl_s)
        except BadSignature:
            return None
        if not isinstance(session_id, str):
            return None
        return hashlib.sha256(session_id.encode()).hexdigest()

    def open(self, email: str) -> str:
        """A new session for an account whose password was just checked: the cookie value."""
        session_id = secrets.token_urlsafe(32)
        digest = hashlib.sha256(session_id.encode()).hexdigest()
        account = self._account_key(email)
        pipe = self.client.pipeline()
        pipe.set(self._session_key(digest), email, ex=self.ttl_s)
        pipe.sadd(account, digest)
        pipe.expire(account, self.ttl_s)
        pipe.execute()
        return self.serializer.dumps(session_id)

    def email_of(self, cookie: str | None) -> str | None:
        """The account's email while the session is open, else None."""
        digest = self._digest(cookie)
        if digest is None:
            return None
        value = self.client.get(self._session_key(digest))
        return value.decode() if isinstance(value, bytes) else None

    def end(self, cookie: str | None) -> None:
        digest = self._digest(cookie)
        if digest is None:
            return
        email = self.email_of(cookie)
        pipe = self.client.pipeline()
        pipe.delete(self._session_key(digest))
        if email is not None:
            pipe.srem(self._account_key(email), digest)
        pipe.execute()

    def _digests(self, email: str) -> list[str]:
        members = self.client.smembers(self._account_key(email))
        return [d.decode() for d in members]  # type: ignore[union-attr]

    def count(self, email: str) -> int:
        """How many sessions of an account are open: what `end_all` would end now."""
        digests = self._digests(email)
        return int(self.client.exists(*map(self._session_key, digests))) if digests else 0

    def end_all(self, email: str) -> int:
        """End every session of an account (password changed, account disabled)."""
        account = self._account_key(email)
        digests = self._digests(email)
        pipe = self.client.pipeline()
        for digest in digests:
            pipe.delete(self._session_key(digest))
        pipe.delete(account)
        replies = pipe.execute()
        return sum(int(n) for n in replies[: len(digests)])


def admin_cookie_options(production: bool, max_age_s: int) -> dict[str, Any]:
    """HttpOnly, SameSite=Lax, and Secure in production: pass to Response.set_cookie."""
    return {
        "key": ADMIN_COOKIE,
        "max_age": max_age_s,
        "httponly": True,
        "samesite": "lax",
        "secure": production,
        "path": "/",
    }


def _settings(request: Request) -> BaseServiceSettings:
    settings: BaseServiceSettings = request.app.state.web.settings
    return settings


def calls_with_service_token(request: Request) -> bool:
    expected = _settings(request).service_token.get_secret_value()
    return service_token_ok(request.headers.get("authorization"), expected)


def current_admin(request: Request) -> str:
    """The operator's email (or `service` for a script with the service token); a person
    without a session is sent to the login page, a program gets 401."""
    if calls_with_service_token(request):
        request.state.admin = SERVICE
        return SERVICE
    sessions: AdminSessions = request.app.state.web.sessions
    email = sessions.email_of(request.cookies.get(ADMIN_COOKIE))
    if email is None:
        raise LoginRequired()
    request.state.admin = email
    return email


def require_service(request: Request) -> None:
    if not calls_with_service_token(request):
        raise ServiceTokenRequired()


CurrentAdmin = Annotated[str, Depends(current_admin)]
ServiceCaller = Annotated[None, Depends(require_service)]
