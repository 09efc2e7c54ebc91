"""Participants files written the way spreadsheet programs write them."""

import csv
import io
import random

from openpyxl import Workbook

FRENCH_HEADER = [
    "role",
    "prenom",
    "nom",
    "email",
    "telephone",
    "structure",
    "forme",
    "stade",
    "commune",
    "thematiques",
    "souhaits",
    "refus",
    "conferences",
    "disponibilite",
    "rdv_max",
    "repas",
]
LABELS = [
    "Financement de projet",
    "Mécénat",
    "Budget prévisionnel",
    "Business plan",
    "Mise en relation bancaire",
    "Financement participatif",
]
FORMS = ["Association", "SCOP", "SCIC", "Coopérative", "Entreprise ESUS", "En création"]
KINDS = ["Fondation", "Banque", "Réseau d'accompagnement", "Finance solidaire", "Collectivité"]


def realistic_rows(holders: int, experts: int, seed: int = 7) -> list[list[str]]:
    """Header then rows, French labels and accents as an operator types them."""
    rng = random.Random(seed)
    rows = [FRENCH_HEADER]
    expert_orgs = [f"{rng.choice(KINDS)} Côte-d'Or {j}" for j in range(experts)]
    for j in range(experts):
        rows.append(
            [
                "Expert",
                f"Élise{j}",
                f"Dupré{j}",
                f"Expert{j}@Financeur.example ",
                "",
                expert_orgs[j],
                KINDS[j % len(KINDS)],
                "",
                "Dijon",
                ";".join(rng.sample(LABELS, rng.randint(2, 3))),
                "",
                "",
                rng.choice(["", "", "Matin", "Après-midi"]),
                rng.choice(["Journée", "journee", ""]),
                rng.choice(["", "", "6"]),
                rng.choice(["oui", "non"]),
            ]
        )
    for i in range(holders):
        wants = rng.choice(
            [
                "",
                "",
                expert_orgs[rng.randrange(experts)].upper(),
                f"expert{rng.randrange(experts)}@financeur.example",
            ]
        )
        rows.append(
            [
                "porteur",
                f"Loïc{i}",
                f"Bérard{i}",
                f"contact{i}@asso.example",
                "03 80 00 00 00",
                f"Asso {i}",
                rng.choice(FORMS),
                rng.choice(["création", "Développement"]),
                rng.choice(["Dijon", "Beaune", "Chenôve"]),
                " ; ".join(rng.sample(LABELS, rng.randint(1, 3))),
                wants,
                "",
                rng.choice(["", "", "matin", "matin;apres-midi"]),
                rng.choice(["journée", "journée", "Matin", "après-midi"]),
                rng.choice(["", "3", "4"]),
                rng.choice(["Oui", "Non", ""]),
            ]
        )
    return rows


def to_csv(rows: list[list[str]], sep: str = ";", bom: bool = True, crlf: bool = True) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Notes").append(["ignorée"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
