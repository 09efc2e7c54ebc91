"""Participants import: the CSV or XLSX file PES 21 keeps, checked row by row.

Pure: it takes bytes and returns rows, warnings and errors; saving them is the caller's job.
A file with any error yields no usable rows (`ParticipantsImport.ok` is false).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from shared.edition import Availability, EditionSettings, HalfDay, normalise_key
from shared.french import french_number
from shared.profile import FILE_REQUIRED, check_participant, file_message
from shared.text import clean
from shared.vocabulary import Role, Stage, role_for

__all__ = ["Role", "Stage"]  # re-exported: the rows speak the vocabulary's


# Column key -> (French header, English alias).
COLUMNS: dict[str, tuple[str, str]] = {
    "role": ("role", "role"),
    "first_name": ("prenom", "first_name"),
    "last_name": ("nom", "last_name"),
    "email": ("email", "email"),
    "phone": ("telephone", "phone"),
    "organisation": ("structure", "organisation"),
    "kind": ("forme", "kind"),
    "stage": ("stade", "stage"),
    "town": ("commune", "town"),
    "tags": ("thematiques", "tags"),
    "wants": ("souhaits", "wants"),
    "refuses": ("refus", "refuses"),
    "sessions": ("conferences", "sessions"),
    "availability": ("disponibilite", "availability"),
    "max_meetings": ("rdv_max", "max_meetings"),
    "lunch": ("repas", "lunch"),
    "required": ("rdv_imposes", "required_meetings"),
}
REQUIRED = ("role", "email")


@dataclass(frozen=True)
class Issue:
    """A problem in the file; `line` is the row number a spreadsheet shows (header = 1)."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"ligne {self.line}" + (f", colonne « {self.column} »" if self.column else "")
        return f"{where} : {self.message}"


@dataclass(frozen=True)
class ParticipantRow:
    line: int
    role: Role
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    organisation: str = ""
    kind: str = ""  # code of the legal form (holder) or organisation type (expert), or empty
    stage: Stage | None = None
    town: str = ""
    tags: tuple[str, ...] = ()  # vocabulary codes, priority order kept
    wants: tuple[str, ...] = ()  # as written; resolved emails in `wants_emails`
    refuses: tuple[str, ...] = ()
    sessions: frozenset[HalfDay] = frozenset()  # of the conferences attended
    session_ids: tuple[str, ...] = ()
    availability: Availability = Availability.DAY
    max_meetings: int | None = None
    lunch: bool | None = None
    required: tuple[str, ...] = ()  # meetings the organiser arranged, as written
    wants_emails: tuple[str, ...] = ()  # people of the other side, sorted
    refuses_emails: tuple[str, ...] = ()
    required_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParticipantsImport:
    rows: tuple[ParticipantRow, ...] = ()
    warnings: tuple[Issue, ...] = ()
    errors: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


# Told every PROGRESS_EVERY lines: lines read, lines in the file (once known), errors so far.
Progress = Callable[[int, int | None, int], None]
PROGRESS_EVERY = 250


def _no_progress(_read: int, _total: int | None, _errors: int) -> None:
    pass


@dataclass
class Collector:
    warnings: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    progress: Progress = _no_progress


def parse_participants(
    data: bytes, filename: str, edition: EditionSettings, progress: Progress | None = None
) -> ParticipantsImport:
    """Read a participants file (`.xlsx` by name or content, CSV otherwise)."""
    issues = Collector(progress=progress or _no_progress)
    table = read_table(data, filename, issues)
    if table is None:
        return ParticipantsImport(errors=tuple(issues.errors))
    rows = _parse_table(table, edition, issues)
    if issues.errors:
        return ParticipantsImport(warnings=tuple(issues.warnings), errors=tuple(issues.errors))
    rows = _resolve(rows, issues)
    if issues.errors:
        return ParticipantsImport(warnings=tuple(issues.warnings), errors=tuple(issues.errors))
    return ParticipantsImport(rows=tuple(rows), warnings=tuple(issues.warnings))


# -- reading cells ---------------------------------------------------------------------------
# Limits checked while reading, before any row is parsed, so that no file can hold a service
# (an edition has 30 to 70 participants; the import page states them).
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000  # participants, header left out
MAX_LINES = 10 * MAX_ROWS  # empty lines included
MAX_COLUMNS = 100
MAX_CELL_CHARS = 2_000
# An .xlsx is a zip of XML: what it unpacks to is bounded too (a 600 KB file may unpack to GBs).
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


def _n(value: int) -> str:
    return french_number(value, 0)


class TooBig(Exception):
    """The file is over one of the limits: the French message says which, at which line."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


def read_table(data: bytes, filename: str, issues: Collector) -> list[list[str]] | None:
    try:
        if len(data) > MAX_FILE_BYTES:
            raise TooBig(f"le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo")
        if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
            return _read_xlsx(data, issues)
        return _read_csv(data, issues)
    except TooBig as exc:
        issues.errors.append(Issue(exc.line, "", f"{exc} : rien n'a été lu"))
        return None


def _bounded(rows: Iterable[Sequence[object]], issues: Collector) -> list[list[str]]:
    """The rows as text, within the limits of rows, columns and cell length."""
    table: list[list[str]] = []
    filled = 0
    for line, row in enumerate(rows, start=1):
        if line % PROGRESS_EVERY == 0:
            issues.progress(line, None, 0)
        if line > MAX_LINES:
            raise TooBig(f"le fichier a plus de {_n(MAX_LINES)} lignes, vides comprises", line)
        cells = [_cell_text(v) for v in row[: MAX_COLUMNS + 1]]
        while cells and not cells[-1]:
            cells.pop()  # spreadsheets pad rows with empty cells
        if len(cells) > MAX_COLUMNS:
            raise TooBig(f"plus de {MAX_COLUMNS} colonnes", line)
        if any(len(c) > MAX_CELL_CHARS for c in cells):
            raise TooBig(f"une cellule dépasse {_n(MAX_CELL_CHARS)} caractères", line)
        if cells:
            filled += 1
            if filled > MAX_ROWS + 1:
                raise TooBig(f"le fichier a plus de {_n(MAX_ROWS)} participants", line)
        table.append(cells)
    return table


def _read_csv(data: bytes, issues: Collector) -> list[list[str]] | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV (séparateur : point-virgule)" on Windows writes Windows-1252.
        text = data.decode("cp1252", errors="replace")
        issues.warnings.append(
            Issue(1, "", "fichier non UTF-8, lu comme Windows-1252 : vérifiez les accents")
        )
    if not text.strip():
        issues.errors.append(Issue(1, "", "le fichier est vide"))
        return None
    header_line = text.splitlines()[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _bounded(reader, issues)
    except csv.Error:
        # The csv module's own limit (128 KB a field), reached by an unclosed quote.
        issues.errors.append(
            Issue(
                reader.line_num,
                "",
                f"cellule de plus de {_n(MAX_CELL_CHARS)} caractères ou guillemet non refermé",
            )
        )
        return None


def _read_xlsx(data: bytes, issues: Collector) -> list[list[str]] | None:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # The sizes the archive declares bound what reading it unpacks.
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise TooBig(
                f"le classeur décompressé dépasse {MAX_UNPACKED_BYTES // (1024 * 1024)} Mo"
            )
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # The size a sheet declares can be anything (A1:XFD1048576): read the rows it has.
            sheet.reset_dimensions()
            table = _bounded(sheet.iter_rows(values_only=True), issues)
        finally:
            workbook.close()
    except TooBig:
        raise
    except Exception:  # malformed XML, bad cell references...: openpyxl raises many kinds
        issues.errors.append(Issue(1, "", "classeur .xlsx illisible"))
        return None
    if not any(table):
        issues.errors.append(Issue(1, "", "la première feuille est vide"))
        return None
    return table


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet stores 4 as 4.0
    return str(value)


# -- checking rows -----------------------------------------------------------------------------
def _header_key(name: str) -> str | None:
    wanted = normalise_key(name).replace(" ", "_").replace("-", "_")
    for key, names in COLUMNS.items():
        if wanted in (normalise_key(n) for n in names):
            return key
    return None


def _parse_table(
    table: list[list[str]], edition: EditionSettings, issues: Collector
) -> list[ParticipantRow]:
    header = table[0]
    columns: dict[str, int] = {}
    shown: dict[str, str] = {}
    for position, name in enumerate(header):
        if not name.strip():
            continue
        key = _header_key(name)
        if key is None:
            issues.warnings.append(Issue(1, name.strip(), "colonne inconnue, ignorée"))
        elif key in columns:
            issues.errors.append(Issue(1, name.strip(), "colonne en double"))
        else:
            columns[key] = position
            shown[key] = name.strip()
    for key in REQUIRED:
        if key not in columns:
            issues.errors.append(Issue(1, COLUMNS[key][0], "colonne obligatoire absente"))
    if issues.errors:
        return []

    rows: list[ParticipantRow] = []
    first_seen: dict[str, int] = {}
    for line, cells in enumerate(table[1:], start=2):
        if line % PROGRESS_EVERY == 0:
            issues.progress(line, len(table), len(issues.errors))
        if not any(c.strip() for c in cells):
            continue  # spreadsheets leave empty rows at the end
        values = {k: (cells[i] if i < len(cells) else "") for k, i in columns.items()}
        row = _parse_row(line, values, shown, edition, issues)
        # Duplicates are checked on the raw address so that a row with other errors still
        # counts as the first use of its email.
        email = clean(values["email"]).strip().lower()
        if email and email in first_seen:
            issues.errors.append(
                Issue(
                    line,
                    shown["email"],
                    f"adresse déjà utilisée ligne {first_seen[email]} : {email}",
                )
            )
            continue
        if email:
            first_seen[email] = line
        if row is not None:
            rows.append(row)
    issues.progress(len(table), len(table), len(issues.errors))
    return rows


def _parse_row(
    line: int,
    values: dict[str, str],
    shown: dict[str, str],
    edition: EditionSettings,
    issues: Collector,
) -> ParticipantRow | None:
    """Read one row's cells and check them with the rules every form is checked with."""
    errors_before = len(issues.errors)

    def column(key: str) -> str:
        return shown.get(key, COLUMNS[key][0])

    broken: set[str] = set()  # a cell with a line break is reported once, as such
    for key, text in values.items():
        if "\n" in text or "\r" in text:
            issues.errors.append(
                Issue(line, column(key), "retour à la ligne interdit dans une cellule")
            )
            broken.add(COLUMNS[key][0])

    role_text = clean(values["role"]).strip()
    role = role_for(role_text)
    if role is None:
        issues.errors.append(
            Issue(line, column("role"), f"rôle « {role_text} » inconnu : attendu porteur ou expert")
        )
    # The rules name fields as the French columns.
    fields = {COLUMNS[key][0]: text for key, text in values.items() if key != "role"}
    checked = check_participant(role, fields, edition, required=FILE_REQUIRED)
    by_name = {names[0]: key for key, names in COLUMNS.items()}
    for problem in checked.problems:
        if problem.field not in broken:
            message = file_message(problem, role, edition)
            issues.errors.append(Issue(line, column(by_name[problem.field]), message))
    for note in checked.notes:
        message = file_message(note, role, edition)
        issues.warnings.append(Issue(line, column(by_name[note.field]), message))

    if len(issues.errors) > errors_before or role is None:
        return None
    f = checked.fields
    conferences = {s.session_id: s.half_day for s in edition.conferences()}
    return ParticipantRow(
        line=line,
        role=role,
        email=f.email,
        first_name=f.first_name,
        last_name=f.last_name,
        phone=f.phone,
        organisation=f.organisation,
        kind=f.legal_form or "",
        stage=f.stage,
        town=f.commune,
        tags=f.tags,
        wants=f.wants,
        refuses=f.refuses,
        required=f.required_meetings,
        sessions=frozenset(h for s in f.sessions if (h := conferences[s]) is not None),
        session_ids=f.sessions,
        availability=f.availability,
        max_meetings=f.max_meetings,
        lunch=f.lunch,
    )


def _comparable(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", normalise_key(text).replace("’", "'"))


def choice(text: str, allowed: Sequence[str]) -> str | None:
    """The allowed value that `text` names, whatever its accents, case or dashes."""
    key = _comparable(text)
    return next((a for a in allowed if _comparable(a) == key), None)


# -- wishes and refusals -----------------------------------------------------------------------
def _resolve(rows: list[ParticipantRow], issues: Collector) -> list[ParticipantRow]:
    """Turn each wish and refusal (an email or an organisation name) into the emails of the
    people of the other side it names; a name that matches nobody is a warning."""
    by_role: dict[Role, list[ParticipantRow]] = {Role.HOLDER: [], Role.EXPERT: []}
    for row in rows:
        by_role[row.role].append(row)
    resolved: list[ParticipantRow] = []
    for row in rows:
        other_role = Role.EXPERT if row.role is Role.HOLDER else Role.HOLDER
        others = by_role[other_role]
        wants = _lookup(row, row.wants, "souhaits", others, issues)
        refuses = _lookup(row, row.refuses, "refus", others, issues)
        required = _lookup_one(row, row.required, COLUMNS["required"][0], others, issues)
        resolved.append(
            replace(row, wants_emails=wants, refuses_emails=refuses, required_emails=required)
        )
    return resolved


def matching(name: str, others: Iterable[ParticipantRow]) -> list[str]:
    """Emails of the participants `name` designates: an email, or an organisation name
    compared without accents or case."""
    if "@" in name:
        return [o.email for o in others if o.email == name.lower()]
    key = _comparable(name)
    return [o.email for o in others if o.organisation and _comparable(o.organisation) == key]


def _lookup(
    row: ParticipantRow,
    names: Iterable[str],
    column: str,
    others: list[ParticipantRow],
    issues: Collector,
) -> tuple[str, ...]:
    side = "expert" if row.role is Role.HOLDER else "porteur"
    found: set[str] = set()
    for name in names:
        matches = matching(name, others)
        if not matches:
            issues.warnings.append(
                Issue(row.line, column, f"« {name} » ne correspond à aucun {side} inscrit, ignoré")
            )
        found.update(matches)
    return tuple(sorted(found))


def _lookup_one(
    row: ParticipantRow,
    names: Iterable[str],
    column: str,
    others: list[ParticipantRow],
    issues: Collector,
) -> tuple[str, ...]:
    """Like `_lookup`, for a required meeting: each name must designate exactly one person,
    or the file is refused (an organiser's arrangement is never guessed nor dropped)."""
    side = "expert" if row.role is Role.HOLDER else "porteur"
    found: set[str] = set()
    for name in names:
        matches = matching(name, others)
        if not matches:
            issues.errors.append(
                Issue(row.line, column, f"« {name} » ne correspond à aucun {side} inscrit")
            )
        elif len(matches) > 1:
            issues.errors.append(
                Issue(
                    row.line,
                    column,
                    f"« {name} » désigne {len(matches)} {side}s ({', '.join(sorted(matches))}) : "
                    "indiquez l'adresse email",
                )
            )
        else:
            found.update(matches)
    return tuple(sorted(found))
