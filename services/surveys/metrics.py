"""Metrics of the questionnaires: kinds and channels only, never who answered nor what."""

from __future__ import annotations

from prometheus_client import Counter

from shared.events import SurveyKind

ANSWERS = Counter(
    "rencontres_survey_answers_total",
    "Answers saved (a correction counts again), by questionnaire kind and channel "
    "(personal: the link sent by email; venue: the anonymous link shown at the venue)",
    ["kind", "channel"],
)

# Every known series from the start, at 0: dashboards and alerts see them before the first use.
for _kind in SurveyKind:
    for _channel in ("personal", "venue"):
        ANSWERS.labels(_kind.value, _channel)
