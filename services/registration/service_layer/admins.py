"""Back-office accounts: argon2 password hashes, checked in constant-ish time. Changing a
password or disabling an account ends every session of that account, on every service."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.adapters.db import admins
from services.registration.domain.model import normalise_email
from shared.db import after_commit
from shared.events import utc_now
from shared.service import ServiceKit
from shared.web.auth import AdminSessions

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so a wrong email takes as long as a wrong password."""
    return _hasher.hash("rencontres-dummy-password")


MIN_PASSWORD_LENGTH = 12


class UnknownAccount(LookupError):
    """No back-office account has this email."""


def login_key(email: str) -> str:
    """The form an address is compared in, for accounts and for login throttling alike: any
    spelling of one address (case, full-width letters, Unicode forms) counts as that one."""
    try:
        return normalise_email(email)
    except ValueError:
        return email.strip().casefold()


def create_admin(session: Session, kit: ServiceKit, email: str, password: str) -> bool:
    """Create the account, or set a new password (and end its sessions once the transaction
    commits) if it exists; True when created. A disabled account is enabled again."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères")
    email = normalise_email(email)
    existing = session.execute(
        select(admins.c.admin_id).where(admins.c.email == email)
    ).scalar_one_or_none()
    if existing is None:
        session.execute(
            admins.insert().values(
                email=email, password_hash=_hasher.hash(password), created_at=utc_now()
            )
        )
        return True
    session.execute(
        admins.update()
        .where(admins.c.admin_id == existing)
        .values(password_hash=_hasher.hash(password), disabled_at=None)
    )
    sessions = AdminSessions.for_settings(kit.settings)
    after_commit(session, lambda: sessions.end_all(email))
    return False


def disable_admin(session: Session, kit: ServiceKit, email: str) -> int:
    """Disable the account; its sessions end once the transaction commits: how many are open."""
    email = login_key(email)
    found = session.execute(
        admins.update()
        .where(admins.c.email == email)
        .values(disabled_at=utc_now())
        .returning(admins.c.admin_id)
    ).first()
    if found is None:
        raise UnknownAccount(email)
    sessions = AdminSessions.for_settings(kit.settings)
    after_commit(session, lambda: sessions.end_all(email))
    return sessions.count(email)


def authenticate(kit: ServiceKit, email: str, password: str) -> str | None:
    """The account's email when the password is right and the account enabled, else None."""
    email = login_key(email)
    with kit.factory() as session:
        row = session.execute(
            select(admins.c.password_hash, admins.c.disabled_at).where(admins.c.email == email)
        ).first()
    stored = row.password_hash if row is not None and row.disabled_at is None else None
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return email if stored else None
