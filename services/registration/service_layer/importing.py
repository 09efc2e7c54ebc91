"""Importing the participants spreadsheet: check everything, then all rows or none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from services.registration.domain.importing import profile_from_row
from services.registration.domain.model import Profile
from services.registration.domain.vocabulary import ROLES
from services.registration.service_layer.editions import get_edition
from services.registration.service_layer.participants import ImportOutcome, import_profiles
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


def import_file(
    kit: ServiceKit,
    edition_id: str,
    data: bytes,
    filename: str,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    before_commit: Callable[[Session, ImportReport], None] | None = None,
) -> ImportReport:
    """Every bad line is reported with its line, column and a French message; a file with
    any error imports nothing. A dry run reports what an import would do and keeps nothing.
    `before_commit` is given the report of an import about to be committed, in its
    transaction."""
    with kit.factory() as session:
        edition = get_edition(session, edition_id)
    parsed = parse_participants(data, filename, edition, progress)
    report = ImportReport(list(parsed.errors), list(parsed.warnings))
    if not parsed.ok:
        return report
    profiles: list[tuple[int, Profile]] = [(row.line, profile_from_row(row)) for row in parsed.rows]

    def committing(session: Session, outcome: ImportOutcome) -> None:
        report.outcome = outcome
        if before_commit is not None:
            before_commit(session, report)

    outcome = import_profiles(kit, edition_id, profiles, dry_run=dry_run, before_commit=committing)
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
