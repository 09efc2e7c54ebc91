import csv
from collections import Counter

from click.testing import CliRunner

from rencontres.cli import main
from rencontres.plan import EXPLAIN_HEADER, plan
from shared.formats.schedule import HEADER, read_schedule
from tests.unit.formats.spreadsheets import realistic_rows, to_csv, to_xlsx


def test_plan_end_to_end_on_a_realistic_file(tmp_path) -> None:
    participants = tmp_path / "participants.csv"
    participants.write_bytes(to_csv(realistic_rows(45, 15)))
    edition = tmp_path / "edition.toml"
    edition.write_text("date = 2026-11-19\nholder_max_meetings = 3\n", encoding="utf-8")
    out, why = tmp_path / "planning.csv", tmp_path / "raisons.csv"
    result = CliRunner().invoke(
        main,
        [
            "plan",
            "--participants",
            str(participants),
            "--edition",
            str(edition),
            "--out",
            str(out),
            "--explain",
            str(why),
        ],
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(HEADER)
    rows = read_schedule(text)
    assert rows, "aucun rendez-vous"
    assert {r.date.isoformat() for r in rows} == {"2026-11-19"}
    assert rows == sorted(rows, key=lambda r: (r.start, r.table))
    assert max(Counter((r.start, r.holder_email) for r in rows).values()) == 1
    assert max(Counter((r.start, r.expert_email) for r in rows).values()) == 1
    assert max(Counter(r.holder_email for r in rows).values()) <= 4
    assert all(r.holder_organisation.startswith("Asso ") for r in rows)
    assert f"Rendez-vous placés : {len(rows)}" in result.output
    assert "Porteurs avec au moins un rendez-vous" in result.output
    assert "Borne supérieure prouvée" in result.output
    assert "Temps de calcul" in result.output
    with why.open(encoding="utf-8") as f:
        reasons = list(csv.reader(f))
    assert tuple(reasons[0]) == EXPLAIN_HEADER
    assert all(r[5] for r in reasons[1:])


def test_plan_accepts_xlsx(tmp_path) -> None:
    participants = tmp_path / "participants.xlsx"
    participants.write_bytes(to_xlsx(realistic_rows(10, 3)))
    out = tmp_path / "planning.csv"
    result = CliRunner().invoke(plan, ["--participants", str(participants), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert read_schedule(out.read_text(encoding="utf-8"))


def test_invalid_file_prints_every_bad_row_and_writes_nothing(tmp_path) -> None:
    rows = realistic_rows(10, 3)
    rows[2][3] = "pas-une-adresse"  # line 3, email
    rows[5][9] = "Astrologie"  # line 6, thematiques
    participants = tmp_path / "participants.csv"
    participants.write_bytes(to_csv(rows))
    out = tmp_path / "planning.csv"
    result = CliRunner().invoke(plan, ["--participants", str(participants), "--out", str(out)])
    assert result.exit_code == 2
    assert "ligne 3, colonne « email » : adresse email invalide" in result.output
    assert "ligne 6, colonne « thematiques » : thématique « Astrologie » inconnue" in result.output
    assert not out.exists()


def test_invalid_edition_file(tmp_path) -> None:
    participants = tmp_path / "participants.csv"
    participants.write_bytes(to_csv(realistic_rows(3, 1)))
    edition = tmp_path / "edition.toml"
    edition.write_text("slot_minutes = 1\n", encoding="utf-8")
    out = tmp_path / "planning.csv"
    result = CliRunner().invoke(
        plan, ["--participants", str(participants), "--edition", str(edition), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "slot_minutes : doit valoir au moins 10" in result.output
    assert not out.exists()


def test_same_participants_in_another_row_order_give_the_same_schedule(tmp_path) -> None:
    rows = realistic_rows(45, 15, seed=11)
    shuffled = [rows[0], *reversed(rows[1:])]
    outputs = []
    for name, content in (("a.csv", rows), ("b.csv", shuffled)):
        participants = tmp_path / name
        participants.write_bytes(to_csv(content))
        out = tmp_path / f"planning-{name}"
        result = CliRunner().invoke(plan, ["--participants", str(participants), "--out", str(out)])
        assert result.exit_code == 0, result.output
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) > 45
