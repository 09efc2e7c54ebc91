"""Importing the participants spreadsheet: check everything, then all rows or none."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from services.registration.domain.importing import profile_from_row
from services.registration.domain.model import Profile
from services.registration.domain.vocabulary import ROLES
from services.registration.service_layer.participants import ImportOutcome, import_profiles
from shared.edition import EditionSettings
from shared.formats.participants import COLUMNS, Issue, Progress, parse_participants
from shared.service import ServiceKit


@dataclass
class ImportReport:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    outcome: ImportOutcome | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        """Its rows are to be kept: checked, no conflict, not a dry run."""
        return self.outcome is not None and self.outcome.applied


def import_file(
    session: Session,
    kit: ServiceKit,
    edition: EditionSettings,
    data: bytes,
    filename: str,
    *,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Every bad line is reported with its line, column and a French message; a file with
    any error imports nothing. Runs in the caller's transaction, to be kept only when
    `report.applied` (a dry run reports what an import would do). The session is not used
    before the file is read: a long reading holds no transaction."""
    parsed = parse_participants(data, filename, edition, progress)
    report = ImportReport(list(parsed.errors), list(parsed.warnings))
    if not parsed.ok:
        return report
    profiles: list[tuple[int, Profile]] = [(row.line, profile_from_row(row)) for row in parsed.rows]
    outcome = import_profiles(session, kit, edition.edition_id, profiles, dry_run=dry_run)
    for line, role in outcome.conflicts:
        report.errors.append(
            Issue(
                line,
                COLUMNS["email"][0],
                f"adresse déjà inscrite comme {ROLES.get(role, role).lower()} : "
                "changez le rôle ou l'adresse",
            )
        )
    if not report.errors:
        report.outcome = outcome
    return report
