"""What makes a participant's fields valid: one set of rules for the public forms, the
back-office edit, the welcome desk and the participants file (the import and `rencontres plan`).

Fields are named as the file's French columns (`prenom`, `rdv_max`...), which are also the
forms' field names. `check_participant` returns the values in the vocabulary's codes and every
problem at once; each channel words a problem for its reader: `person_message` speaks to the
participant on a form, `file_message` to the operator reading an import report. What must be
filled differs by channel (a form asks for a whole profile, a file needs only a role and an
email) and is stated here too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from shared.communes import official
from shared.edition import Availability, EditionSettings, HalfDay
from shared.text import clean
from shared.vocabulary import (
    AVAILABILITIES,
    STAGES,
    Role,
    Stage,
    code_for,
    forms_for,
    slug,
)

SINGLE_LINE_LIMITS = {"prenom": 100, "nom": 100, "structure": 200, "commune": 100, "telephone": 30}
LIST_FIELDS = ("souhaits", "refus", "rdv_imposes")  # emails or organisation names
TEXT_LIMITS = {"souhaits": 2000, "refus": 2000, "rdv_imposes": 2000, "accessibilite": 1000}
YES_NO_FIELDS = ("repas", "consentement_partage", "consentement_contact")
# A day has 10 half-hour slots by default; 0 keeps someone out of the meetings (an expert who
# only comes to the conferences), which the file has always allowed.
MIN_MEETINGS, MAX_MEETINGS = 0, 30
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
_PHONE = re.compile(r"\+?[0-9 ().\-]{6,30}")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")  # not int(): it takes "3_0", "+3" and other digits
_YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x", "on"}
_NO = {"non", "n", "no", "0", "false", "faux"}

FILE_REQUIRED = frozenset({"email"})  # and the role, which the file gives in its own column


def form_required(role: Role, *, minimal: bool = False) -> frozenset[str]:
    """What a form must fill; `minimal` is the welcome desk's late registration."""
    required = {"prenom", "nom", "structure", "email", "forme"}
    if not minimal:
        required.add("thematiques")
        if role is Role.HOLDER:
            required |= {"commune", "stade"}
    return frozenset(required)


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field; `value` is the value as written."""

    field: str
    code: str
    value: str = ""
    limit: int = 0


@dataclass(frozen=True)
class ParticipantFields:
    """A participant's fields, checked: codes of the vocabulary, texts on one line."""

    role: Role | None
    first_name: str
    last_name: str
    email: str
    phone: str
    organisation: str
    legal_form: str | None
    stage: Stage | None
    commune: str
    tags: tuple[str, ...]  # codes, priority order kept, repeats dropped
    wants: tuple[str, ...]
    refuses: tuple[str, ...]
    required_meetings: tuple[str, ...]
    sessions: tuple[str, ...]  # conference session ids
    availability: Availability
    max_meetings: int | None
    lunch: bool | None  # None: not said
    accessibility: str
    consent_share_profile: bool | None
    consent_contact: bool | None


@dataclass(frozen=True)
class Checked:
    fields: ParticipantFields
    problems: tuple[Problem, ...] = ()  # the participant is refused
    notes: tuple[Problem, ...] = ()  # a value ignored; the file reports them as warnings

    @property
    def ok(self) -> bool:
        return not self.problems


def normalise_email(text: str) -> str:
    """The address as compared and stored: validated, domain and local part in lower case."""
    if CONTROL_CHARS.search(text):
        raise ValueError("control character")
    result = validate_email(clean(text).strip(), check_deliverability=False)
    return result.normalized.lower()


def check_participant(
    role: Role | None,
    raw: Mapping[str, str | Sequence[str]],
    edition: EditionSettings,
    *,
    required: Collection[str],
) -> Checked:
    """Every field of `raw` checked against the rules, every problem at once. A list field
    (`thematiques`, `souhaits`...) may be a sequence (a form's checkboxes) or one text with `;`
    or line breaks between the items. `role` None (unknown) checks what does not depend on it.
    """
    problems: list[Problem] = []
    notes: list[Problem] = []

    def raw_text(name: str) -> str:
        value = raw.get(name, "")
        return clean(value if isinstance(value, str) else ",".join(value))

    def text(name: str) -> str:
        return raw_text(name).strip()

    def items(name: str) -> list[str]:
        value = raw.get(name, [])
        parts = [value] if isinstance(value, str) else list(value)
        out: list[str] = []
        for part in parts:
            out.extend(p.strip() for p in re.split(r"[;\n\r]+", clean(part)) if p.strip())
        return out

    def problem(name: str, code: str, value: str = "", limit: int = 0) -> None:
        problems.append(Problem(name, code, value, limit))

    def missing(name: str) -> None:
        if name in required:
            problem(name, "required")

    single: dict[str, str] = {}
    for name, limit in SINGLE_LINE_LIMITS.items():
        value = raw_text(name)
        if CONTROL_CHARS.search(value):
            problem(name, "line_break" if re.search(r"[\r\n]", value) else "control", value)
        elif len(value.strip()) > limit:
            problem(name, "too_long", value, limit)
        elif not value.strip():
            missing(name)
        single[name] = " ".join(value.split())
    phone = single["telephone"]
    if phone and not any(p.field == "telephone" for p in problems) and not _PHONE.fullmatch(phone):
        problem("telephone", "phone", phone)

    email = ""
    if CONTROL_CHARS.search(raw_text("email")):
        problem("email", "email", raw_text("email").strip())
    elif not text("email"):
        missing("email")
    else:
        try:
            email = normalise_email(text("email"))
        except (EmailNotValidError, ValueError):
            problem("email", "email", text("email"))

    legal_form: str | None = None
    if text("forme") and role is not None:
        legal_form = code_for(forms_for(role), text("forme"))
        if legal_form is None:
            problem("forme", "legal_form", text("forme"))
    elif not text("forme"):
        missing("forme")

    stage: Stage | None = None
    if role is Role.EXPERT:
        if text("stade"):
            notes.append(Problem("stade", "holders_only", text("stade")))
    elif text("stade"):
        code = code_for(STAGES, text("stade"))
        if code is None:
            problem("stade", "stage", text("stade"))
        else:
            stage = Stage(code)
    else:
        missing("stade")

    tags: list[str] = []
    for value in items("thematiques"):
        tag = _tag_code(edition, value)
        if tag is None:
            problem("thematiques", "tag", value)
        elif tag not in tags:
            tags.append(tag)
    if not tags and not any(p.field == "thematiques" for p in problems):
        missing("thematiques")

    sessions: list[str] = []
    for value in items("conferences"):
        found = sessions_named(edition, value)
        if not found:
            problem("conferences", "session", value)
        sessions.extend(s for s in found if s not in sessions)

    availability = Availability.DAY
    if text("disponibilite"):
        code = code_for(AVAILABILITIES, text("disponibilite"))
        if code is None:
            problem("disponibilite", "availability", text("disponibilite"))
        else:
            availability = Availability(code)

    max_meetings = edition.holder_max_meetings if role is Role.HOLDER else None
    if text("rdv_max"):
        value = text("rdv_max")
        if _WHOLE_NUMBER.fullmatch(value) and MIN_MEETINGS <= int(value) <= MAX_MEETINGS:
            max_meetings = int(value)
        else:
            problem("rdv_max", "max_meetings", value)

    flags: dict[str, bool | None] = {}
    for name in YES_NO_FIELDS:
        key = slug(text(name))
        flags[name] = True if key in _YES else False if key in _NO else None
        if key and flags[name] is None:
            problem(name, "yes_no", text(name))

    for name, limit in TEXT_LIMITS.items():
        if len(text(name)) > limit:
            problem(name, "too_long", text(name), limit)

    fields = ParticipantFields(
        role=role,
        first_name=single["prenom"],
        last_name=single["nom"],
        email=email,
        phone=phone,
        organisation=single["structure"],
        legal_form=legal_form,
        stage=stage,
        commune=official(single["commune"]),
        tags=tuple(tags),
        wants=tuple(items("souhaits")),
        refuses=tuple(items("refus")),
        required_meetings=tuple(items("rdv_imposes")),
        sessions=tuple(sessions),
        availability=availability,
        max_meetings=max_meetings,
        lunch=flags["repas"],
        accessibility=text("accessibilite").replace("\r\n", "\n"),
        consent_share_profile=flags["consentement_partage"],
        consent_contact=flags["consentement_contact"],
    )
    return Checked(fields, tuple(problems), tuple(notes))


def sessions_named(edition: EditionSettings, text: str) -> list[str]:
    """The conferences a value names: a session id, or a half-day (all its conferences)."""
    key = slug(text)
    conferences = edition.conferences()
    by_id = [s.session_id for s in conferences if slug(s.session_id) == key]
    if by_id:
        return by_id
    return [s.session_id for s in conferences if s.half_day and slug(s.half_day.value) == key]


@functools.lru_cache(maxsize=1024)
def _tag_code(edition: EditionSettings, text: str) -> str | None:
    """The edition's code for a tag as written (a file repeats the same few thousands of times)."""
    return edition.tag_code(text)


# -- wording ---------------------------------------------------------------------------------
_PERSON = {
    "required": "Ce champ est obligatoire.",
    "too_long": "Ce champ est trop long ({limit} caractères au plus).",
    "line_break": "Ce champ doit tenir sur une ligne, sans retour à la ligne ni caractère spécial.",
    "control": "Ce champ doit tenir sur une ligne, sans retour à la ligne ni caractère spécial.",
    "email": "Indiquez une adresse email valide, par exemple nom@exemple.fr.",
    "phone": "Indiquez un numéro de téléphone valide, par exemple 03 80 00 00 00.",
    "legal_form": "Choisissez une forme dans la liste.",
    "stage": "Choisissez le stade de votre projet.",
    "tag": "Thématique inconnue : {value}.",
    "session": "Conférence inconnue : {value}.",
    "availability": "Choisissez votre disponibilité : journée, matin ou après-midi.",
    "max_meetings": (
        f"Indiquez un nombre entier de rendez-vous entre {MIN_MEETINGS} et {MAX_MEETINGS}."
    ),
    "yes_no": "Répondez par oui ou non.",
}
# A missing field that a form asks for with its own words.
_PERSON_REQUIRED = {
    "stade": "Choisissez le stade de votre projet.",
    "thematiques": "Choisissez au moins une thématique.",
}


def person_message(problem: Problem) -> str:
    """The problem as the form tells the participant (who sees the field it is under)."""
    if problem.code == "required" and problem.field in _PERSON_REQUIRED:
        return _PERSON_REQUIRED[problem.field]
    return _PERSON[problem.code].format(value=problem.value, limit=problem.limit)


def file_message(problem: Problem, role: Role | None, edition: EditionSettings) -> str:
    """The problem as an import report tells the operator, quoting the cell."""
    value, code = problem.value, problem.code
    if code == "required":
        return "adresse email obligatoire" if problem.field == "email" else "valeur obligatoire"
    if code == "legal_form":
        allowed = ", ".join(forms_for(role or Role.HOLDER).values())
        return f"forme « {value} » inconnue : attendu {allowed}"
    if code == "tag":
        codes = ", ".join(t.code for t in edition.tags)
        return f"thématique « {value} » inconnue : attendu {codes}"
    if code == "session":
        offered = {s.half_day for s in edition.conferences()}
        half_days = [h.value for h in HalfDay if h in offered]  # in the day's order
        expected = _either(half_days) if half_days else "aucune, l'édition n'en a pas"
        return f"conférence « {value} » inconnue : attendu {expected}"
    messages = {
        "too_long": f"trop long ({problem.limit} caractères au plus)",
        "line_break": "retour à la ligne interdit dans une cellule",
        "control": "tabulation ou caractère de contrôle interdit",
        "email": f"adresse email invalide : {value}",
        "phone": f"téléphone « {value} » invalide : attendu par exemple 03 80 00 00 00",
        "stage": f"stade « {value} » inconnu : attendu {_either(STAGES)}",
        "availability": (f"disponibilité « {value} » inconnue : attendu {_either(AVAILABILITIES)}"),
        "max_meetings": (
            f"nombre de rendez-vous invalide : {value} "
            f"(attendu un nombre entier de {MIN_MEETINGS} à {MAX_MEETINGS})"
        ),
        "yes_no": f"{problem.field} « {value} » : attendu oui ou non",
        "holders_only": "le stade ne concerne que les porteurs, ignoré",
    }
    return messages[code]


def _either(codes: Collection[str]) -> str:
    *others, last = codes
    return f"{', '.join(others)} ou {last}" if others else last
