"""Required meetings file: pairs the organiser arranged, one per row, checked against the
participants they name.

Pure: it takes bytes and the participants file's rows and returns pairs, warnings and errors.
A file with any error yields no pairs (`PairsImport.ok` is false).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.edition import HalfDay, normalise_key
from shared.formats.participants import (
    Collector,
    Issue,
    ParticipantRow,
    Role,
    choice,
    matching,
    read_table,
)

# Header names a first row may use (it is then not a pair).
HEADER_NAMES = {"porteur", "holder", "expert", "demi_journee", "half_day", "moment"}
HALF_DAY_COLUMN = "demi_journee"


@dataclass(frozen=True, order=True)
class RequiredMeeting:
    holder_email: str
    expert_email: str
    half_day: HalfDay | None = None
    line: int = 0  # the row that asked for it (0: the participants file's column)


@dataclass(frozen=True)
class PairsImport:
    pairs: tuple[RequiredMeeting, ...] = ()
    warnings: tuple[Issue, ...] = ()
    errors: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_pairs(data: bytes, filename: str, participants: Sequence[ParticipantRow]) -> PairsImport:
    """Read a pairs file (`.xlsx` or CSV, as the participants file): two columns naming a
    holder and an expert (an email or an organisation, in either order) and an optional third,
    `matin` or `apres-midi`."""
    issues = Collector()
    table = read_table(data, filename, issues)
    if table is None:
        return PairsImport(errors=tuple(issues.errors))
    first = [normalise_key(c).replace(" ", "_").replace("-", "_") for c in table[0]]
    start = 2 if any(c in HEADER_NAMES for c in first) else 1
    seen: dict[tuple[str, str], RequiredMeeting] = {}
    for line, cells in enumerate(table[start - 1 :], start=start):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        meeting = _pair(line, cells, participants, issues)
        if meeting is None:
            continue
        key = (meeting.holder_email, meeting.expert_email)
        earlier = seen.get(key)
        if earlier is None or earlier.half_day is None:
            seen[key] = meeting
        elif meeting.half_day not in (None, earlier.half_day):
            issues.errors.append(
                Issue(
                    line,
                    HALF_DAY_COLUMN,
                    f"ce rendez-vous est déjà imposé ligne {earlier.line} "
                    f"({earlier.half_day.value}) : une seule demi-journée par paire",
                )
            )
    if issues.errors:
        return PairsImport(warnings=tuple(issues.warnings), errors=tuple(issues.errors))
    return PairsImport(pairs=tuple(sorted(seen.values())), warnings=tuple(issues.warnings))


def _pair(
    line: int, cells: list[str], participants: Sequence[ParticipantRow], issues: Collector
) -> RequiredMeeting | None:
    errors_before = len(issues.errors)

    def error(column: str, message: str) -> None:
        issues.errors.append(Issue(line, column, message))

    people: list[ParticipantRow] = []
    for position, name in enumerate(cells[:2]):
        column = f"colonne {position + 1}"
        if not name:
            error(column, "case vide : indiquez l'email ou la structure d'un participant")
            continue
        emails = matching(name, participants)
        if not emails:
            error(column, f"« {name} » ne correspond à aucun participant du fichier")
        elif len(emails) > 1:
            error(
                column,
                f"« {name} » désigne {len(emails)} participants ({', '.join(sorted(emails))}) : "
                "indiquez l'adresse email",
            )
        else:
            people.extend(p for p in participants if p.email == emails[0])
    if len(cells) < 2:
        error("colonne 2", "il faut deux colonnes : un porteur et un expert")
    half_day: HalfDay | None = None
    if len(cells) > 2 and cells[2]:
        value = choice(cells[2], [h.value for h in HalfDay])
        if value is None:
            error(
                HALF_DAY_COLUMN,
                f"demi-journée « {cells[2]} » inconnue : attendu matin, apres-midi ou rien",
            )
        else:
            half_day = HalfDay(value)
    if len(issues.errors) > errors_before:
        return None
    roles = sorted(p.role for p in people)
    if roles != sorted((Role.HOLDER, Role.EXPERT)):
        both = "deux porteurs" if roles[0] is Role.HOLDER else "deux experts"
        error("", f"il faut un porteur et un expert, pas {both}")
        return None
    holder = next(p for p in people if p.role is Role.HOLDER)
    expert = next(p for p in people if p.role is Role.EXPERT)
    return RequiredMeeting(holder.email, expert.email, half_day, line)
