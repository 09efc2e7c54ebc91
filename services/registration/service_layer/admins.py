"""Back-office accounts: argon2 password hashes, checked in constant-ish time."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from services.registration.adapters.db import admins
from services.registration.domain.model import normalise_email
from shared.db import transaction
from shared.events import utc_now
from shared.service import ServiceKit

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so a wrong email takes as long as a wrong password."""
    return _hasher.hash("rencontres-dummy-password")


MIN_PASSWORD_LENGTH = 12


def create_admin(kit: ServiceKit, email: str, password: str) -> bool:
    """Create the account, or set a new password if it exists; True when created."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères")
    email = normalise_email(email)
    with transaction(kit.factory) as session:
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
            .values(password_hash=_hasher.hash(password))
        )
        return False


def authenticate(kit: ServiceKit, email: str, password: str) -> str | None:
    """The admin's normalised email when the password is right, else None."""
    try:
        email = normalise_email(email)
    except ValueError:
        email = ""
    with kit.factory() as session:
        stored = session.execute(
            select(admins.c.password_hash).where(admins.c.email == email)
        ).scalar_one_or_none()
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return email if stored else None
