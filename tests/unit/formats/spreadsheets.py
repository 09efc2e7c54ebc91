"""Participants files written the way spreadsheet programs write them."""

import csv
import io
import random
import zipfile

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


SHEET = "xl/worksheets/sheet1.xml"


def _messages(report) -> list[str]:
    return [str(issue) for issue in report.errors]


def rewrite_sheet(xlsx: bytes, sheet: bytes | None = None, padding: int = 0) -> bytes:
    """The same workbook with its first sheet replaced, or padded with `padding` bytes of
    blanks (an XML bomb: it compresses a thousandfold)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename != SHEET:
                target.writestr(member, source.read(member))
                continue
            with target.open(SHEET, "w", force_zip64=True) as stream:
                body = sheet if sheet is not None else source.read(member)
                head, _, tail = body.partition(b"<sheetData>")
                stream.write(head + b"<sheetData>")
                chunk = b" " * (1024 * 1024)
                for _ in range(padding // len(chunk)):
                    stream.write(chunk)
                stream.write(tail)
    return out.getvalue()


def hostile_files() -> dict[str, tuple[bytes, str]]:
    """Files that used to hold a service or answer 500, each with the one error it gets."""
    header_only = to_xlsx([FRENCH_HEADER])
    short = [["porteur", "A", "B", f"p{n}@exemple.fr"] for n in range(100_000)]
    return {
        "enorme.csv": (
            to_csv([FRENCH_HEADER, *short], sep=";"),
            "ligne 5002 : le fichier a plus de 5\u202f000 participants : rien n'a été lu",
        ),
        "bombe.xlsx": (
            rewrite_sheet(to_xlsx(realistic_rows(holders=2, experts=1)), padding=200 << 20),
            "ligne 1 : le classeur décompressé dépasse 50 Mo : rien n'a été lu",
        ),
        "champ.csv": (
            to_csv([FRENCH_HEADER, ["porteur", "A" * 200_000, "B", "a@b.fr"]]),
            "ligne 2 : cellule de plus de 2\u202f000 caractères ou guillemet non refermé",
        ),
        "cellule.csv": (
            to_csv([FRENCH_HEADER, ["porteur", "A" * 3_000, "B", "a@b.fr"]]),
            "ligne 2 : une cellule dépasse 2\u202f000 caractères : rien n'a été lu",
        ),
        "malforme.xlsx": (
            rewrite_sheet(header_only, sheet=b"<worksheet><sheetData><row>"),
            "ligne 1 : classeur .xlsx illisible",
        ),
        "reference.xlsx": (
            rewrite_sheet(
                header_only,
                sheet=(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b'<sheetData><row r="1"><c r="ZZZZZZ1" t="inlineStr"><is><t>x</t></is></c>'
                    b"</row></sheetData></worksheet>"
                ),
            ),
            "ligne 1 : classeur .xlsx illisible",
        ),
    }


def errors_file(count: int = 4_500) -> bytes:
    """About 200 KB of rows that are all wrong (one error each)."""
    bad = [["porteur", "A", "B", f"pas-une-adresse-{n}", *[""] * 12] for n in range(count)]
    return to_csv([FRENCH_HEADER, *bad])
