"""A Dijon-like participants file, generated: 46 project holders and the 16 partners of the
action sheet as experts, the way PES 21's day looks (most people all day, some half a day,
about a third at a conference, a few wishes by organisation name, rare refusals).

`python -m benchmarks.dijon FILE` writes it as the semicolon CSV a spreadsheet saves.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from pathlib import Path

from rencontres.demo import PARTNERS

HEADER = [
    "role",
    "prenom",
    "nom",
    "email",
    "structure",
    "forme",
    "thematiques",
    "souhaits",
    "refus",
    "conferences",
    "disponibilite",
    "rdv_max",
]
# Needs as holders rank them, the most common first (financing and sponsorship lead).
NEEDS = (
    ("financement-projet", 6),
    ("mecenat", 5),
    ("budget-previsionnel", 3),
    ("business-plan", 3),
    ("relation-bancaire", 2),
    ("financement-participatif", 2),
)
KIND_LABELS = {
    "reseau-accompagnement": "réseau d'accompagnement",
    "finance-solidaire": "finance solidaire",
}
FORMS = ("association", "association", "association", "SCOP", "SCIC", "en création")
HOLDERS, EXPERTS = 46, len(PARTNERS)


def dijon_rows(seed: int = 2026) -> list[list[str]]:
    """Header, then the 16 experts, then the 46 holders."""
    rng = random.Random(seed)
    rows = [HEADER]
    for j, (organisation, kind, tags) in enumerate(PARTNERS):
        rows.append(
            [
                "expert",
                f"Expert{j:02d}",
                "Partenaire",
                f"expert{j:02d}@partenaire-exemple.fr",
                organisation,
                KIND_LABELS.get(kind, kind),
                ";".join(tags),
                "",
                "",
                rng.choice(["", "", "", "matin", "apres-midi"]),
                rng.choice(["journee"] * 6 + ["matin", "apres-midi"]),
                rng.choice(["", "", "", "6", "8"]),
            ]
        )
    tags, weights = zip(*NEEDS, strict=True)
    for i in range(HOLDERS):
        needs: list[str] = []
        for _ in range(rng.choice((1, 2, 2, 3, 3))):
            tag = rng.choices(tags, weights)[0]
            if tag not in needs:
                needs.append(tag)
        wished = rng.sample(range(EXPERTS), k=rng.choice((0, 0, 1, 1, 2)))
        rows.append(
            [
                "porteur",
                f"Porteur{i:02d}",
                "Exemple",
                f"porteur{i:02d}@projet-exemple.fr",
                f"Projet solidaire n°{i:02d}",
                FORMS[i % len(FORMS)],
                ";".join(needs),
                ";".join(PARTNERS[j][0] for j in wished),
                PARTNERS[rng.randrange(EXPERTS)][0] if rng.random() < 0.05 else "",
                rng.choice(["", "", "matin", "apres-midi"]),
                rng.choice(["journee"] * 7 + ["matin", "apres-midi", "apres-midi"]),
                rng.choice(["", "", "", "3"]),
            ]
        )
    return rows


def dijon_csv(seed: int = 2026) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(dijon_rows(seed))
    return out.getvalue().encode("utf-8")


if __name__ == "__main__":
    Path(sys.argv[1]).write_bytes(dijon_csv())
