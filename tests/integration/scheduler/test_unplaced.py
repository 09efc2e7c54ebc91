"""« Souhaits et besoins sans rendez-vous »: the planning page's panel and the internal API
give, on the same participants, the same reasons as `rencontres plan --explain`."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid

from click.testing import CliRunner
from fastapi.testclient import TestClient

from rencontres.plan import plan as plan_command
from services.scheduler.entrypoints.http import create_app
from shared.edition import default_edition
from shared.events import Availability, Role
from shared.formats.participants import parse_participants
from tests.integration.scheduler.conftest import TOKEN
from tests.support.scheduler import Harness
from tests.support.web import admin_cookies

HEADER = "role,email,structure,forme,thematiques,souhaits,refus,disponibilite,rdv_max"
# One expert capped at two meetings and wished by four holders, a morning expert wished by an
# afternoon holder, a refusal, a need no expert offers, a holder capped at one meeting.
PARTICIPANTS = f"""{HEADER}
expert,e1@bq.example,Banque Une,banque,mecenat,,,journee,2
expert,e2@fd.example,Fondation Deux,fondation,business-plan,,,matin,
expert,e3@cg.example,Cigales Trois,banque,relation-bancaire,,h5@as.example,journee,
porteur,h1@as.example,Asso A,association,mecenat,e1@bq.example,,journee,
porteur,h2@as.example,Asso B,association,mecenat,e1@bq.example,,journee,
porteur,h3@as.example,Asso C,association,mecenat,e1@bq.example,,journee,
porteur,h4@as.example,Asso D,association,business-plan,e2@fd.example,,apres-midi,
porteur,h5@as.example,Asso E,association,relation-bancaire,e3@cg.example,,journee,
porteur,h6@as.example,Asso F,association,financement-participatif;mecenat,,,journee,
porteur,h7@as.example,Asso G,association,business-plan;mecenat,e1@bq.example;e2@fd.example,,,1
"""


def _register_all(harness: Harness) -> dict[str, str]:
    """The file's people as registration's events; ids sorted like the emails, so that the
    planner sees them in the same order as `rencontres plan`. Returns email -> id."""
    imported = parse_participants(PARTICIPANTS.encode(), "participants.csv", default_edition())
    assert imported.ok, imported.errors
    rows = sorted(imported.rows, key=lambda r: r.email)
    ids = {r.email: uuid.UUID(int=n + 1) for n, r in enumerate(rows)}
    for r in rows:
        harness.register(
            Role.EXPERT if r.role.value == "expert" else Role.HOLDER,
            r.organisation,
            list(r.tags),
            pid=ids[r.email],
            wants=[ids[e] for e in r.wants_emails],
            refuses=[ids[e] for e in r.refuses_emails],
            availability=Availability(r.availability.value),
            max_meetings=r.max_meetings,
        )
    return {email: str(pid) for email, pid in ids.items()}


def _explain_file(tmp_path, placement_seconds: float) -> list[tuple[str, ...]]:
    participants = tmp_path / "participants.csv"
    participants.write_text(PARTICIPANTS, encoding="utf-8")
    out, why = tmp_path / "planning.csv", tmp_path / "raisons.csv"
    args = ["--participants", str(participants), "--out", str(out), "--explain", str(why)]
    args += ["--placement-seconds", str(placement_seconds)]
    result = CliRunner().invoke(plan_command, args)
    assert result.exit_code == 0, result.output
    _header, *rows = csv.reader(io.StringIO(why.read_text(encoding="utf-8")))
    return [tuple(r) for r in rows]


def _panel_rows(page: str) -> list[tuple[str, str, str]]:
    """(holder, request, reason) of each row of the planning page's panel."""
    section = page[page.index('id="sans-rendez-vous"') :]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    cells = [
        [html.unescape(re.sub(r"<[^>]+>|\s+", " ", c)).strip() for c in row][:3]
        for row in (re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S) for tr in body.split("</tr>"))
        if row
    ]
    return [tuple(c) for c in cells]  # type: ignore[misc]


def test_panel_and_internal_api_give_the_reasons_of_plan_explain(harness: Harness, tmp_path):
    ids = _register_all(harness)
    expected = _explain_file(tmp_path, harness.app.settings.placement_seconds)
    kinds = {r[0] for r in expected}
    reasons = " ".join(r[5] for r in expected)
    # The data reaches the causes it was written for.
    assert kinds == {"souhait", "besoin"}
    for words in ("expert complet", "indisponible", "refus", "aucune expertise", "plafond"):
        assert words in reasons, words

    client = TestClient(create_app(harness.app), cookies=admin_cookies(harness.app.settings))
    service = TestClient(create_app(harness.app), headers={"Authorization": f"Bearer {TOKEN}"})
    assert service.post("/api/schedule/plan").status_code == 200
    page = client.get("/admin/planning")
    assert page.status_code == 200

    email_of = {pid: email for email, pid in ids.items()}
    org = {p["participant_id"]: p["organisation"] for p in harness.registration.people.values()}
    labels = {t.code: t.label for t in default_edition().tags}

    def shown(r: tuple[str, ...]) -> tuple[str, str, str]:
        kind, holder, expert, tag, asked_by, reason = r
        if kind == "souhait":
            side = "du porteur" if asked_by == "porteur" else "de l'expert"
            request = f"Souhait {side} : {org[ids[expert]]}"
        else:
            request = f"Besoin : {labels[tag]}"
        return org[ids[holder]], request, reason

    assert sorted(_panel_rows(page.text)) == sorted(shown(r) for r in expected)

    # Each person's part, as registration reads it, is the same rows.
    from_api = []
    for pid in ids.values():
        body = service.get(f"/internal/participants/{pid}/unplaced").json()
        from_api += [
            (
                x["kind"],
                email_of[x["holder_id"]],
                email_of.get(x["expert_id"], ""),
                x["tag"],
                x["asked_by"],
                x["reason"],
            )
            for x in body["items"]
            if x["holder_id"] == pid  # a wish appears on both people's pages
        ]
        assert all(a["url"].startswith("http") for x in body["items"] for a in x["actions"])
    assert sorted(from_api) == sorted(expected)
