"""The funder's evaluation report of an edition, computed from plain facts (no I/O)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.surveys.domain.aggregate import (
    QuestionResult,
    net_promoter,
    question_result,
    rate,
    results,
    satisfaction_values,
)
from services.surveys.domain.budget import Budget
from services.surveys.domain.questions import Question, QuestionType
from shared.edition import normalise_key
from shared.events import SurveyKind
from shared.presence import count_present
from shared.vocabulary import EXPERT_KINDS, HOLDER_LEGAL_FORMS, STAGES, code_for, french_label

HOLDER, EXPERT = "porteur", "expert"
REGISTERED = "inscrit"
NOT_GIVEN = "Non renseigné"

ROLE_LABELS = {HOLDER: "Porteurs de projet", EXPERT: "Experts et financeurs"}


@dataclass(frozen=True)
class ParticipantFacts:
    role: str
    status: str
    legal_form: str
    stage: str | None
    commune: str | None
    checked_in: bool


@dataclass(frozen=True)
class MeetingFacts:
    released: bool
    release_reason: str | None


@dataclass(frozen=True)
class ClosedSessionFacts:
    session_id: str
    kind: str
    attendees: int
    meetings_held: int
    meetings_missed: int


@dataclass(frozen=True)
class SurveyFacts:
    kind: SurveyKind
    title: str
    session_key: str
    questions: tuple[Question, ...]
    answers: tuple[Mapping[str, Any], ...]
    invited: int
    answered: int  # invited people who answered
    anonymous: int  # venue-link answers
    label: str = ""  # short name in tables: the conference's title, « Journée »...
    roles: tuple[str | None, ...] = ()  # each answer's respondent role; None: venue link
    starts: dt.time | None = None  # a conference's time: the report follows the day's order


Counts = list[tuple[str, int]]


def count_by(items: Iterable[Any], key: Callable[[Any], str | None]) -> Counts:
    """(label, count) most frequent first, then alphabetical; a missing value is named."""
    counter = Counter((key(i) or NOT_GIVEN) for i in items)
    return sorted(counter.items(), key=lambda kv: (-kv[1], normalise_key(kv[0])))


@dataclass(frozen=True)
class ParticipantFigures:
    registered: dict[str, int]
    present: dict[str, int]
    holders_by_legal_form: Counts
    holders_by_stage: Counts
    present_by_commune: Counts
    associations_present: int
    experts_present: int
    experts_by_organisation_type: Counts


def participant_figures(people: Sequence[ParticipantFacts]) -> ParticipantFigures:
    registered = [p for p in people if p.status == REGISTERED or p.checked_in]
    present = [p for p in people if p.checked_in]  # the one definition: shared/presence.py
    holders = [p for p in present if p.role == HOLDER]
    experts = [p for p in present if p.role == EXPERT]
    counts = count_present((p.role, p.checked_in) for p in people)
    return ParticipantFigures(
        registered={r: sum(1 for p in registered if p.role == r) for r in (HOLDER, EXPERT)},
        present={HOLDER: counts.holders, EXPERT: counts.experts},
        holders_by_legal_form=count_by(
            holders, lambda p: french_label(HOLDER_LEGAL_FORMS, p.legal_form)
        ),
        holders_by_stage=count_by(holders, lambda p: french_label(STAGES, p.stage)),
        present_by_commune=count_by(present, lambda p: p.commune),
        associations_present=sum(
            1 for p in holders if code_for(HOLDER_LEGAL_FORMS, p.legal_form) == "association"
        ),
        experts_present=len(experts),
        experts_by_organisation_type=count_by(
            experts, lambda p: french_label(EXPERT_KINDS, p.legal_form)
        ),
    )


@dataclass(frozen=True)
class MeetingFigures:
    planned: int
    held: int | None
    missed: int | None


def meeting_figures(
    slots: Sequence[MeetingFacts], closed: Sequence[ClosedSessionFacts]
) -> MeetingFigures:
    """Planned: in the published schedule, including no-shows. Held and missed: as counted
    when the meeting windows closed (or, failing that, the whole day); no-shows otherwise."""
    no_shows = sum(1 for s in slots if s.released and s.release_reason == "absence")
    planned = sum(1 for s in slots if not s.released) + no_shows
    windows = [c for c in closed if c.kind == "window"]
    source = windows or [c for c in closed if c.kind == "day"]
    if source and any(c.meetings_held or c.meetings_missed for c in source):
        return MeetingFigures(
            planned, sum(c.meetings_held for c in source), sum(c.meetings_missed for c in source)
        )
    return MeetingFigures(planned, None, no_shows if no_shows else None)


VENUE = "sur-place"
GROUP_LABELS = {HOLDER: "Porteurs", EXPERT: "Experts", VENUE: "Sur place", "": "Ensemble"}


@dataclass(frozen=True)
class RoleGroup:
    """The answers of one kind of respondent: holders, experts, the venue link, everyone."""

    key: str  # HOLDER, EXPERT, VENUE, or "" for everyone
    answered: int

    @property
    def label(self) -> str:
        return GROUP_LABELS[self.key]


@dataclass(frozen=True)
class ResultLine:
    """One figure of a question for each group: a mean, a count of an option, a total."""

    question: str
    detail: str  # « Moyenne (1 à 5) », « Oui », an option, « Total »
    values: tuple[float | int | None, ...]  # one per group, in the groups' order
    is_mean: bool = False


def _lines(q: Question, per_group: Sequence[QuestionResult]) -> list[ResultLine]:
    if q.type in (QuestionType.RATING, QuestionType.MEETINGS):
        detail = f"Moyenne ({q.scale_min} à {q.scale_max})"
        return [ResultLine(q.text, detail, tuple(r.mean for r in per_group), is_mean=True)]
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.YES_NO):
        options = list(per_group[-1].counts)
        return [
            ResultLine(q.text, o[:1].upper() + o[1:], tuple(r.counts.get(o, 0) for r in per_group))
            for o in options
        ]
    if q.type is QuestionType.NUMBER:
        return [ResultLine(q.text, "Total", tuple(r.total for r in per_group))]
    return []  # free text: no selection of comments to publish


def by_role(s: SurveyFacts) -> tuple[tuple[RoleGroup, ...], tuple[ResultLine, ...]]:
    """Each question's figures for holders, experts and the venue link (those who answered),
    then for everyone when there is more than one group."""
    roles = s.roles or (None,) * len(s.answers)
    groups: list[tuple[str, list[Mapping[str, Any]]]] = []
    for key in (HOLDER, EXPERT, VENUE):
        answers = [a for a, r in zip(s.answers, roles, strict=True) if (r or VENUE) == key]
        if answers:
            groups.append((key, answers))
    if len(groups) != 1:
        groups.append(("", list(s.answers)))
    lines = [
        line
        for q in s.questions
        for line in _lines(q, [question_result(q, answers) for _, answers in groups])
    ]
    return tuple(RoleGroup(k, len(a)) for k, a in groups), tuple(lines)


@dataclass(frozen=True)
class SurveyFigures:
    kind: SurveyKind
    title: str
    label: str
    session_key: str
    invited: int
    answered: int
    anonymous: int
    response_rate: float | None
    satisfaction: float | None
    ratings: int  # how many 1-5 ratings the satisfaction averages
    net_promoter: int | None
    results: list[QuestionResult]
    groups: tuple[RoleGroup, ...] = ()
    lines: tuple[ResultLine, ...] = ()


def survey_figures(s: SurveyFacts) -> SurveyFigures:
    values = satisfaction_values(s.questions, s.answers)
    recommend = [
        int(a[q.id])
        for q in s.questions
        if q.type is QuestionType.RATING and (q.scale_min, q.scale_max) == (0, 10)
        for a in s.answers
        if a.get(q.id) is not None
    ]
    groups, lines = by_role(s)
    return SurveyFigures(
        kind=s.kind,
        title=s.title,
        label=s.label or s.title,
        session_key=s.session_key,
        invited=s.invited,
        answered=s.answered,
        anonymous=s.anonymous,
        response_rate=rate(s.answered, s.invited),
        satisfaction=round(sum(values) / len(values), 2) if values else None,
        ratings=len(values),
        net_promoter=net_promoter(recommend),
        results=results(s.questions, s.answers),
        groups=groups,
        lines=lines,
    )


@dataclass(frozen=True)
class Masthead:
    """Who writes the report and for whom, shown on its first page (settings)."""

    organisation: str = "PES 21"
    funder: str = "Ville de Dijon"
    logo: Path | None = None  # a PNG or JPEG file


@dataclass(frozen=True)
class Quote:
    """A free-text answer the operator chose to quote: no name, only where it comes from."""

    source: str  # the questionnaire's short name: the conference's title, « Journée »...
    role: str  # « porteur de projet », « expert ou financeur », « réponse sur place »
    text: str


SURVEY_ORDER = {SurveyKind.CONFERENCE: 0, SurveyKind.DAY: 1, SurveyKind.EX_POST: 2}


def survey_order(
    kind: SurveyKind, starts: dt.time | None, session_key: str
) -> tuple[int, dt.time, str]:
    """The report's order of questionnaires: conferences by time, the day, the follow-up."""
    return (SURVEY_ORDER[kind], starts or dt.time.max, session_key)


@dataclass(frozen=True)
class EditionReport:
    edition_id: str
    title: str
    date: dt.date
    participants: ParticipantFigures
    meetings: MeetingFigures
    sessions: list[SurveyFigures]  # conferences then the day
    ex_post: SurveyFigures | None
    overall_satisfaction: float | None
    overall_response_rate: float | None
    budget: Budget
    attendance: dict[str, int] = field(default_factory=dict)  # session id -> present
    venue: str = ""
    masthead: Masthead = field(default_factory=Masthead)
    quotes: list[Quote] = field(default_factory=list)  # « Paroles de participants »


def edition_report(
    *,
    edition_id: str,
    title: str,
    date: dt.date,
    people: Sequence[ParticipantFacts],
    slots: Sequence[MeetingFacts],
    closed: Sequence[ClosedSessionFacts],
    surveys: Sequence[SurveyFacts],
    budget: Budget,
    venue: str = "",
    masthead: Masthead | None = None,
    quotes: Sequence[Quote] = (),
) -> EditionReport:
    figures = [
        survey_figures(s)
        for s in sorted(surveys, key=lambda s: survey_order(s.kind, s.starts, s.session_key))
    ]
    sessions = [f for f in figures if f.kind is not SurveyKind.EX_POST]
    ex_post = next((f for f in figures if f.kind is SurveyKind.EX_POST), None)
    all_values = [
        v
        for s in surveys
        if s.kind is not SurveyKind.EX_POST
        for v in satisfaction_values(s.questions, s.answers)
    ]
    invited = sum(f.invited for f in sessions)
    answered = sum(f.answered for f in sessions)
    return EditionReport(
        edition_id=edition_id,
        title=title,
        date=date,
        participants=participant_figures(people),
        meetings=meeting_figures(slots, closed),
        sessions=sessions,
        ex_post=ex_post,
        overall_satisfaction=round(sum(all_values) / len(all_values), 2) if all_values else None,
        overall_response_rate=rate(answered, invited),
        budget=budget,
        attendance={c.session_id: c.attendees for c in closed if c.kind == "conference"},
        venue=venue,
        masthead=masthead or Masthead(),
        quotes=list(quotes),
    )


@dataclass(frozen=True)
class ComparisonRow:
    edition_id: str
    registered: int
    present: int
    holders_present: int
    experts_present: int
    associations_present: int
    meetings_planned: int
    meetings_held: int | None
    overall_satisfaction: float | None
    overall_response_rate: float | None
    net_promoter: int | None
    charges_actual_cents: int | None


def comparison_row(report: EditionReport) -> ComparisonRow:
    day = next((s for s in report.sessions if s.kind is SurveyKind.DAY), None)
    p = report.participants
    return ComparisonRow(
        edition_id=report.edition_id,
        registered=sum(p.registered.values()),
        present=sum(p.present.values()),
        holders_present=p.present[HOLDER],
        experts_present=p.present[EXPERT],
        associations_present=p.associations_present,
        meetings_planned=report.meetings.planned,
        meetings_held=report.meetings.held,
        overall_satisfaction=report.overall_satisfaction,
        overall_response_rate=report.overall_response_rate,
        net_promoter=day.net_promoter if day else None,
        charges_actual_cents=report.budget.total_charges.actual_cents,
    )
