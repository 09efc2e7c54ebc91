"""A participant's profile, how a submission becomes one, and the rules of places and links."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from services.registration.domain.vocabulary import (
    AVAILABILITIES,
    STAGES,
    code_for,
    forms_for,
)
from shared.edition import EditionSettings, normalise_key
from shared.events import Availability, RegistrationStatus, Role
from shared.text import clean

# Every message a submission can get, keyed by what went wrong.
MESSAGES = {
    "required": "Ce champ est obligatoire.",
    "too_long": "Ce champ est trop long ({max} caractères au plus).",
    "line_break": "Ce champ doit tenir sur une ligne, sans retour à la ligne ni caractère spécial.",
    "email": "Indiquez une adresse email valide, par exemple nom@exemple.fr.",
    "phone": "Indiquez un numéro de téléphone valide, par exemple 03 80 00 00 00.",
    "legal_form": "Choisissez une forme dans la liste.",
    "stage": "Choisissez le stade de votre projet.",
    "tags_required": "Choisissez au moins une thématique.",
    "tag_unknown": "Thématique inconnue : {value}.",
    "session_unknown": "Conférence inconnue : {value}.",
    "availability": "Choisissez votre disponibilité : journée, matin ou après-midi.",
    "max_meetings": "Indiquez un nombre entier de rendez-vous entre 1 et {max}.",
    "yes_no": "Répondez par oui ou non.",
}

SINGLE_LINE_LIMITS = {"prenom": 100, "nom": 100, "structure": 200, "commune": 100, "telephone": 30}
TEXT_LIMITS = {"souhaits": 2000, "refus": 2000, "accessibilite": 1000}
MAX_MEETINGS_LIMIT = 30
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
_PHONE = re.compile(r"^\+?[0-9 ().\-]{6,30}$")
_YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x", "on"}
_NO = {"non", "n", "no", "0", "false", "faux", ""}


class RegistrationError(Exception):
    """A rule of the registration service was broken; `code` maps to a French message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class InvalidProfile(RegistrationError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid")
        self.errors = errors


@dataclass(frozen=True)
class Profile:
    """What a participant tells about themselves; the same for a form, an import or an edit."""

    role: Role
    first_name: str
    last_name: str
    email: str
    phone: str
    organisation: str
    legal_form: str
    stage: str | None
    commune: str
    tags: tuple[str, ...]
    wants: tuple[str, ...]
    refuses: tuple[str, ...]
    sessions: tuple[str, ...]
    availability: Availability
    max_meetings: int | None
    lunch: bool
    accessibility: str
    consent_share_profile: bool
    consent_contact: bool


@dataclass
class Candidate:
    """Someone a wish or a refusal may point at."""

    participant_id: uuid.UUID
    role: Role
    email: str | None
    organisation: str | None


def normalise_email(text: str) -> str:
    """The address as compared and stored: validated, domain and local part in lower case."""
    if CONTROL_CHARS.search(text):
        raise ValueError("control character")
    result = validate_email(clean(text).strip(), check_deliverability=False)
    return result.normalized.lower()


def parse_profile(
    role: Role,
    raw: Mapping[str, str | Sequence[str]],
    edition: EditionSettings,
    *,
    minimal: bool = False,
) -> Profile:
    """Validate a submission (form fields named as the import columns); every error at once.

    `minimal` is the welcome desk's late registration: contact and organisation only.
    """
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        value = raw.get(name, "")
        return clean(value if isinstance(value, str) else ",".join(value)).strip()

    def many(name: str) -> list[str]:
        value = raw.get(name, [])
        items = [clean(value)] if isinstance(value, str) else [clean(v) for v in value]
        out: list[str] = []
        for item in items:
            out.extend(p.strip() for p in re.split(r"[;\n\r]+", item) if p.strip())
        return out

    single: dict[str, str] = {}
    for name, limit in SINGLE_LINE_LIMITS.items():
        value = raw.get(name, "")
        value = clean(value if isinstance(value, str) else ",".join(value))
        if CONTROL_CHARS.search(value):
            errors[name] = MESSAGES["line_break"]
        elif len(value.strip()) > limit:
            errors[name] = MESSAGES["too_long"].format(max=limit)
        single[name] = " ".join(value.split())
    for name in ("prenom", "nom", "structure"):
        if name not in errors and not single[name]:
            errors[name] = MESSAGES["required"]
    if role is Role.HOLDER and not minimal and "commune" not in errors and not single["commune"]:
        errors["commune"] = MESSAGES["required"]
    if single["telephone"] and "telephone" not in errors and not _PHONE.match(single["telephone"]):
        errors["telephone"] = MESSAGES["phone"]

    email = ""
    raw_email = text("email") if not CONTROL_CHARS.search(str(raw.get("email", ""))) else "\n"
    if not raw_email:
        errors["email"] = MESSAGES["required"]
    else:
        try:
            email = normalise_email(raw_email)
        except (EmailNotValidError, ValueError):
            errors["email"] = MESSAGES["email"]

    legal_form = code_for(forms_for(role), text("forme")) if text("forme") else None
    if legal_form is None:
        errors["forme"] = MESSAGES["legal_form"] if text("forme") else MESSAGES["required"]

    stage: str | None = None
    if role is Role.HOLDER:
        stage = code_for(STAGES, text("stade")) if text("stade") else None
        if stage is None and (text("stade") or not minimal):
            errors["stade"] = MESSAGES["stage"]

    tags: list[str] = []
    for value in many("thematiques"):
        code = edition.tag_code(value)
        if code is None:
            errors["thematiques"] = MESSAGES["tag_unknown"].format(value=value)
        elif code not in tags:
            tags.append(code)
    if not tags and not minimal and "thematiques" not in errors:
        errors["thematiques"] = MESSAGES["tags_required"]

    sessions: list[str] = []
    conferences = {s.session_id: s for s in edition.conferences()}
    for value in many("conferences"):
        key = normalise_key(value).replace(" ", "-")
        found = next(
            (
                sid
                for sid, s in conferences.items()
                if key in (sid, s.half_day.value if s.half_day else "")
            ),
            None,
        )
        if found is None:
            errors["conferences"] = MESSAGES["session_unknown"].format(value=value)
        elif found not in sessions:
            sessions.append(found)

    availability = Availability.DAY
    if text("disponibilite"):
        code = code_for(AVAILABILITIES, text("disponibilite"))
        if code is None:
            errors["disponibilite"] = MESSAGES["availability"]
        else:
            availability = Availability(code)

    max_meetings: int | None = edition.holder_max_meetings if role is Role.HOLDER else None
    if text("rdv_max"):
        try:
            max_meetings = int(text("rdv_max"))
            if not 1 <= max_meetings <= MAX_MEETINGS_LIMIT:
                raise ValueError
        except ValueError:
            errors["rdv_max"] = MESSAGES["max_meetings"].format(max=MAX_MEETINGS_LIMIT)

    flags: dict[str, bool] = {}
    for name in ("repas", "consentement_partage", "consentement_contact"):
        key = normalise_key(text(name))
        if key in _YES:
            flags[name] = True
        elif key in _NO:
            flags[name] = False
        else:
            errors[name] = MESSAGES["yes_no"]

    long_texts: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = text(name)
        if len(value) > limit:
            errors[name] = MESSAGES["too_long"].format(max=limit)
        long_texts[name] = value.replace("\r\n", "\n")

    if errors:
        raise InvalidProfile(errors)
    assert legal_form is not None
    return Profile(
        role=role,
        first_name=single["prenom"],
        last_name=single["nom"],
        email=email,
        phone=single["telephone"],
        organisation=single["structure"],
        legal_form=legal_form,
        stage=stage,
        commune=single["commune"],
        tags=tuple(tags),
        wants=tuple(many("souhaits")),
        refuses=tuple(many("refus")),
        sessions=tuple(sessions),
        availability=availability,
        max_meetings=max_meetings,
        lunch=flags.get("repas", False),
        accessibility=long_texts["accessibilite"],
        consent_share_profile=flags.get("consentement_partage", False),
        consent_contact=flags.get("consentement_contact", False),
    )


def status_for_new(
    role: Role, registered_of_role: int, edition: EditionSettings
) -> RegistrationStatus:
    """Registered while places remain for the role; the waiting list after that."""
    capacity = edition.capacity_holders if role is Role.HOLDER else edition.capacity_experts
    if capacity is not None and registered_of_role >= capacity:
        return RegistrationStatus.WAITING_LIST
    return RegistrationStatus.REGISTERED


def resolve_references(
    references: Iterable[str], role: Role, candidates: Iterable[Candidate]
) -> list[uuid.UUID]:
    """Ids of the people on the other side that emails or organisation names point at."""
    others = [c for c in candidates if c.role is not role]
    found: list[uuid.UUID] = []
    for reference in references:
        if "@" in reference:
            key = reference.strip().lower()
            matches = [c for c in others if c.email and c.email == key]
        else:
            key = normalise_key(reference)
            matches = [c for c in others if c.organisation and normalise_key(c.organisation) == key]
        for match in matches:
            if match.participant_id not in found:
                found.append(match.participant_id)
    return found


def references_match(
    references: Iterable[str], email: str | None, organisation: str | None
) -> bool:
    for reference in references:
        if "@" in reference and email and reference.strip().lower() == email:
            return True
        if organisation and normalise_key(reference) == normalise_key(organisation):
            return True
    return False


@dataclass
class Counts:
    """Anonymous counts by role and category, for the welcome desk and the reports."""

    by_role: dict[str, int] = field(default_factory=dict)
    by_legal_form: dict[str, int] = field(default_factory=dict)
