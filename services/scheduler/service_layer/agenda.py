"""Personal agendas: the published meetings of one person, with the conferences they chose and
the lunch; organisations are fetched from registration when the agenda is shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.scheduler.adapters.db import appointments, participants
from services.scheduler.adapters.registration import Contact, DirectoryUnavailable
from services.scheduler.service_layer.context import Scheduler
from services.scheduler.service_layer.editions import current_edition
from services.scheduler.service_layer.planning import local, published_version
from shared.edition import EditionSettings, SessionKind
from shared.events import RegistrationStatus, Role
from shared.formats.schedule import table_label

AGENDA_SALT = "rencontres-agenda"


def agenda_token(secret: str, participant_id: str, edition_id: str) -> str:
    return URLSafeSerializer(secret, salt=AGENDA_SALT).dumps({"p": participant_id, "e": edition_id})


def read_agenda_token(secret: str, token: str) -> tuple[str, str] | None:
    try:
        data = URLSafeSerializer(secret, salt=AGENDA_SALT).loads(token)
    except BadSignature:
        return None
    return str(data["p"]), str(data["e"])


@dataclass(frozen=True)
class AgendaItem:
    kind: str  # rendez-vous, conference, repas
    start: dt.datetime  # aware, in the edition's time zone
    end: dt.datetime
    title: str
    table: str = ""
    counterpart_id: str = ""
    counterpart_organisation: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Agenda:
    participant_id: str
    role: Role
    edition: EditionSettings
    items: tuple[AgendaItem, ...]
    contact: Contact | None = None
    directory_ok: bool = True
    needs: dict[str, list[str]] = field(default_factory=dict)  # holder id -> need labels


def agenda_for(session: Session, app: Scheduler, participant_id: str) -> Agenda | None:
    """None when the person is unknown, erased or cancelled, or nothing is published yet."""
    person = session.execute(
        select(participants).where(participants.c.participant_id == participant_id)
    ).first()
    if person is None or person.erased or person.status == RegistrationStatus.CANCELLED:
        return None
    version = published_version(session, person.edition_id)
    if version is None:
        return None
    edition = current_edition(session, person.edition_id)
    zone = local(edition, dt.time(0)).tzinfo
    rows = session.execute(
        select(appointments)
        .where(
            appointments.c.version_id == version.id,
            appointments.c.released_at.is_(None),
            or_(
                appointments.c.holder_id == participant_id,
                appointments.c.expert_id == participant_id,
            ),
        )
        .order_by(appointments.c.start)
    ).all()
    role = Role(person.role)
    counterparts = [r.expert_id if role is Role.HOLDER else r.holder_id for r in rows]
    directory_ok = True
    try:
        contacts = app.directory.contacts([*counterparts, participant_id])
    except DirectoryUnavailable:
        contacts, directory_ok = {}, False
    needs: dict[str, list[str]] = {}
    if role is Role.EXPERT and counterparts:
        labels = {t.code: t.label for t in edition.tags}
        for p in session.execute(
            select(participants.c.participant_id, participants.c.tags).where(
                participants.c.participant_id.in_(counterparts)
            )
        ).all():
            needs[p.participant_id] = [labels.get(t, t) for t in p.tags]
    items = [
        AgendaItem(
            kind="rendez-vous",
            start=r.start.astimezone(zone),
            end=r.end.astimezone(zone),
            title=_meeting_title(contacts.get(other), role),
            table=table_label(r.table_number),
            counterpart_id=other,
            counterpart_organisation=contacts[other].organisation if other in contacts else "",
            detail=r.reason,
        )
        for r, other in zip(rows, counterparts, strict=True)
    ]
    for s in edition.sessions:
        chosen = (s.kind is SessionKind.CONFERENCE and s.session_id in person.sessions) or (
            s.kind is SessionKind.LUNCH and person.lunch
        )
        if chosen:
            items.append(
                AgendaItem(
                    kind="conference" if s.kind is SessionKind.CONFERENCE else "repas",
                    start=local(edition, s.start),
                    end=local(edition, s.end),
                    title=s.title,
                    detail=s.theme,
                )
            )
    return Agenda(
        participant_id=participant_id,
        role=role,
        edition=edition,
        items=tuple(sorted(items, key=lambda i: (i.start, i.kind))),
        contact=contacts.get(participant_id),
        directory_ok=directory_ok,
        needs=needs,
    )


def _meeting_title(other: Contact | None, role: Role) -> str:
    side = "l'expert" if role is Role.HOLDER else "le porteur de projet"
    if other is None or not other.organisation:
        return f"Rendez-vous avec {side}"
    return f"Rendez-vous avec {other.organisation}"


def agenda_url(app: Scheduler, participant_id: str, edition_id: str) -> str:
    secret = app.settings.secret_key.get_secret_value()
    token = agenda_token(secret, participant_id, edition_id)
    return f"{app.settings.public_url.rstrip('/')}/agenda/{token}"


def meeting_topics(session: Session, agenda: Agenda) -> dict[str, list[str]]:
    """Per counterpart, what the meeting is about (`topics_of`)."""
    others = [i.counterpart_id for i in agenda.items if i.counterpart_id]
    if not others:
        return {}
    ids = [*others, agenda.participant_id]
    tags = dict(
        session.execute(
            select(participants.c.participant_id, participants.c.tags).where(
                participants.c.participant_id.in_(ids)
            )
        ).all()
    )
    labels = {t.code: t.label for t in agenda.edition.tags}
    topics: dict[str, list[str]] = {}
    for other in others:
        holder, expert = (
            (agenda.participant_id, other)
            if agenda.role is Role.HOLDER
            else (other, agenda.participant_id)
        )
        topics[other] = topics_of(tags.get(holder) or [], tags.get(expert) or [], labels)
    return topics


def topics_of(holder_tags: list[str], expert_tags: list[str], labels: dict[str, str]) -> list[str]:
    """What a meeting is about: the holder's needs (in their order) that the expert covers,
    or all the holder's needs (a wished meeting covering none of them), as labels."""
    covered = [t for t in holder_tags if t in set(expert_tags)]
    return [labels.get(t, t) for t in (covered or holder_tags)]
