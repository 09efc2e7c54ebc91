"""The programme's rules that the operator meets on the programme page: what a row of the day
can be, how a new session is named, and what deserves a warning before the day.

Pure functions over `EditionSettings`; the page reads and writes the stored format unchanged
(meeting windows in `windows`, the other moments in `sessions`).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from shared.edition import (
    TIMEZONE,
    EditionSettings,
    Session,
    SessionKind,
    TimeRange,
    normalise_key,
)
from shared.french import french_date, french_datetime, french_time, local_time

WINDOW = "fenetre"  # a row that is a meeting window, stored in `windows`
# What a row of the day can be, in the order of the list, with the words the operator reads.
ROW_KINDS: dict[str, str] = {
    WINDOW: "Fenêtre de rendez-vous",
    SessionKind.CONFERENCE.value: "Conférence",
    SessionKind.LUNCH.value: "Repas",
    SessionKind.CLOSING.value: "Clôture",
}


def span(start: dt.time, end: dt.time) -> str:
    """« 11 h 00 – 12 h 00 »."""
    return f"{french_time(start)} – {french_time(end)}"


def new_session_id(kind: str, title: str, taken: set[str]) -> str:
    """An id for a new session, from its title (else its type), unique among `taken`. Existing
    sessions keep theirs: registrations and surveys refer to them."""
    base = re.sub(r"[^a-z0-9]+", "-", normalise_key(title)).strip("-")[:60].strip("-")
    if not base:
        base = re.sub(r"[^a-z0-9]+", "-", normalise_key(ROW_KINDS.get(kind, "session")))
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _overlap(a: TimeRange | Session, b: TimeRange | Session) -> bool:
    return a.start < b.end and b.start < a.end


def window_overlaps(windows: tuple[TimeRange, ...]) -> list[tuple[TimeRange, TimeRange]]:
    """Pairs of meeting windows that overlap (their slots would overlap too)."""
    ordered = sorted(windows, key=lambda w: w.start)
    return [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :] if _overlap(a, b)]


def _date_warnings(edition: EditionSettings, now: dt.datetime) -> list[str]:
    today = local_time(now, edition.timezone).date()
    if edition.date < today:
        day = french_date(edition.date, weekday=True)
        return [
            f"La date de la journée ({day}) est passée : les formulaires d'inscription "
            "n'inscrivent plus personne. Pour l'édition suivante, changez la date."
        ]
    warnings = []
    zone = ZoneInfo(TIMEZONE)
    opens, closes = edition.registration_opens, edition.registration_closes
    if opens is not None and opens.tzinfo is None:
        opens = opens.replace(tzinfo=zone)
    if closes is not None and closes.tzinfo is None:
        closes = closes.replace(tzinfo=zone)
    if opens is not None and local_time(opens, edition.timezone).date() > edition.date:
        warnings.append(
            f"L'ouverture des inscriptions ({french_datetime(opens)}) suit la journée : "
            "personne ne pourra s'inscrire."
        )
    if closes is not None and closes <= now:
        warnings.append(
            f"La clôture des inscriptions ({french_datetime(closes)}) est passée : "
            "les formulaires l'annoncent et n'inscrivent plus personne."
        )
    elif closes is not None and local_time(closes, edition.timezone).date() > edition.date:
        warnings.append(
            f"La clôture des inscriptions ({french_datetime(closes)}) suit la journée : "
            "les formulaires fermeront de toute façon le lendemain de la journée."
        )
    return warnings


def _window_warnings(edition: EditionSettings) -> list[str]:
    warnings = []
    slot = edition.slot_minutes
    for w in sorted(edition.windows, key=lambda w: w.start):
        left = w.minutes() % slot
        if w.minutes() < slot:
            warnings.append(
                f"La fenêtre de rendez-vous {span(w.start, w.end)} est plus courte qu'un "
                f"créneau ({slot} minutes) : aucun rendez-vous n'y sera planifié."
            )
        elif left:
            warnings.append(
                f"La fenêtre de rendez-vous {span(w.start, w.end)} ne se divise pas en "
                f"créneaux de {slot} minutes : ses {left} dernières minutes restent libres."
            )
    return warnings


def _session_warnings(edition: EditionSettings) -> list[str]:
    warnings = []
    sessions = sorted(edition.sessions, key=lambda s: (s.start, s.end))
    for i, a in enumerate(sessions):
        for b in sessions[i + 1 :]:
            if _overlap(a, b):
                warnings.append(
                    f"« {a.title} » ({span(a.start, a.end)}) et « {b.title} » "
                    f"({span(b.start, b.end)}) se chevauchent : on ne peut pas être aux deux."
                )
    slots = edition.meeting_slots()
    for s in sessions:
        for w in sorted(edition.windows, key=lambda w: w.start):
            if not _overlap(s, w):
                continue
            if s.kind is not SessionKind.CONFERENCE:
                warnings.append(
                    f"« {s.title} » ({span(s.start, s.end)}) tombe pendant la fenêtre de "
                    f"rendez-vous {span(w.start, w.end)} : des rendez-vous y seraient "
                    "planifiés en même temps."
                )
                continue
            inside = [t for t in slots if _overlap(t, w)]
            if inside and all(_overlap(t, s) for t in inside):
                warnings.append(
                    f"La conférence « {s.title} » ({span(s.start, s.end)}) occupe toute la "
                    f"fenêtre de rendez-vous {span(w.start, w.end)} : ceux qui y assistent "
                    "n'auront aucun rendez-vous dans cette fenêtre."
                )
                continue
            for t in inside:
                if not _overlap(t, s) or (s.start <= t.start and t.end <= s.end):
                    continue
                warnings.append(
                    f"La conférence « {s.title} » ({span(s.start, s.end)}) commence ou finit "
                    f"au milieu du créneau {span(t.start, t.end)} : ceux qui y assistent "
                    "perdent ce créneau entier. Alignez-la sur les créneaux."
                )
    return warnings


def programme_warnings(edition: EditionSettings, now: dt.datetime) -> list[str]:
    """What the programme page points out; none of it stops the programme being saved."""
    return _date_warnings(edition, now) + _window_warnings(edition) + _session_warnings(edition)
