"""Who has not answered a questionnaire, as the surveys service knows it, for a message
from the team: the edition's questionnaires (`GET /internal/editions/{edition}/surveys`)
and one questionnaire's non-respondents (`GET /internal/surveys/{id}/non-respondents`),
with the service token. A surveys service that does not answer is None, never an error."""

from __future__ import annotations

from dataclasses import dataclass

from services.registration.adapters.internal import read_json


@dataclass(frozen=True)
class Questionnaire:
    survey_id: str
    title: str
    invited: int
    answered: int


async def read_questionnaires(
    surveys_url: str, edition_id: str, token: str, timeout_s: float
) -> list[Questionnaire] | None:
    """The questionnaires sent by personal link (some people invited)."""
    body = await read_json(
        f"{surveys_url.rstrip('/')}/internal/editions/{edition_id}/surveys", token, timeout_s
    )
    if body is None or not isinstance(body.get("surveys"), list):
        return None
    try:
        found = [
            Questionnaire(
                str(s["survey_id"]), str(s["title"]), int(s["invited"]), int(s["answered"])
            )
            for s in body["surveys"]
        ]
    except (KeyError, TypeError, ValueError):
        return None
    return [q for q in found if q.invited]


async def read_non_respondents(
    surveys_url: str, survey_id: str, token: str, timeout_s: float
) -> set[str] | None:
    body = await read_json(
        f"{surveys_url.rstrip('/')}/internal/surveys/{survey_id}/non-respondents", token, timeout_s
    )
    if body is None or not isinstance(body.get("participant_ids"), list):
        return None
    return {str(i) for i in body["participant_ids"]}
