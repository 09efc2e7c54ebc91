"""The action sheet's forecast budget, and its comparison with the amounts actually spent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class BudgetLine:
    code: str  # an account of the chart of accounts of associations: 613, 641, 74...
    label: str
    forecast_cents: int

    @property
    def chapter(self) -> str:
        """The account class the line adds up to: its first two digits."""
        return self.code[:2]


# The chapters of the chart of accounts of associations (as on the Cerfa budget form).
CHAPTERS: dict[str, str] = {
    "60": "Achats",
    "61": "Services extérieurs",
    "62": "Autres services extérieurs",
    "63": "Impôts et taxes",
    "64": "Charges de personnel",
    "65": "Autres charges de gestion courante",
    "66": "Charges financières",
    "67": "Charges exceptionnelles",
    "68": "Dotations aux amortissements, provisions et engagements",
    "70": "Ventes de produits finis, de marchandises, prestations de services",
    "73": "Dotations et produits de tarification",
    "74": "Subventions d'exploitation",
    "75": "Autres produits de gestion courante",
    "76": "Produits financiers",
    "77": "Produits exceptionnels",
    "78": "Reprises sur amortissements et provisions",
}

# The action sheet's lines, the ones the operator enters amounts for; chapters add them up.
LINES: tuple[BudgetLine, ...] = (
    BudgetLine("601", "Achat matières et fournitures", 200_00),
    BudgetLine("613", "Location de salles", 0),
    BudgetLine("623", "Communication, publicité", 100_00),
    BudgetLine("625", "Déplacements", 100_00),
    BudgetLine("626", "Autres : téléphone, internet, missions, réception", 60_00),
    BudgetLine("63", "Impôts et taxes", 0),
    BudgetLine("641", "Rémunération des personnels", 2410_00),
    BudgetLine("645", "Charges sociales", 930_00),
    BudgetLine("648", "Autres charges de personnel", 200_00),
    BudgetLine("74", "Subventions d'exploitation : Ville de Dijon / Dijon Métropole", 4000_00),
)
LINE_CODES = frozenset(line.code for line in LINES)


def chapter_label(code: str) -> str:
    return f"{code} – {CHAPTERS[code]}"


@dataclass(frozen=True)
class BudgetRow:
    code: str
    label: str
    forecast_cents: int
    actual_cents: int | None
    is_chapter: bool = False

    @property
    def gap_cents(self) -> int | None:
        return None if self.actual_cents is None else self.actual_cents - self.forecast_cents


@dataclass(frozen=True)
class Budget:
    charges: tuple[BudgetRow, ...]  # chapters (60 to 68) followed by their lines
    total_charges: BudgetRow
    receipts: tuple[BudgetRow, ...]  # chapters (70 to 78) followed by their lines
    total_receipts: BudgetRow

    @property
    def rows(self) -> tuple[BudgetRow, ...]:
        """Every row as the report lists them: charges, their total, receipts, their total."""
        return (*self.charges, self.total_charges, *self.receipts, self.total_receipts)

    @property
    def balance_forecast_cents(self) -> int:
        return self.total_receipts.forecast_cents - self.total_charges.forecast_cents

    @property
    def balance_actual_cents(self) -> int | None:
        if self.total_charges.actual_cents is None or self.total_receipts.actual_cents is None:
            return None
        return self.total_receipts.actual_cents - self.total_charges.actual_cents


def _sum(values: list[int | None]) -> int | None:
    """A total is known once any of its lines is; lines not entered count as zero."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _side(
    lines: list[BudgetLine], actuals: Mapping[str, int], code: str, label: str
) -> tuple[tuple[BudgetRow, ...], BudgetRow]:
    rows: list[BudgetRow] = []
    chapters: list[BudgetRow] = []
    for chapter in sorted({line.chapter for line in lines}):
        own = [
            BudgetRow(x.code, x.label, x.forecast_cents, actuals.get(x.code))
            for x in lines
            if x.chapter == chapter
        ]
        single = len(own) == 1 and own[0].code == chapter
        # A chapter that is a single line of its own code is shown once, under its line's words.
        name = f"{chapter} – {own[0].label}" if single else chapter_label(chapter)
        total = BudgetRow(
            chapter,
            name,
            sum(r.forecast_cents for r in own),
            _sum([r.actual_cents for r in own]),
            is_chapter=True,
        )
        chapters.append(total)
        rows.append(total)
        if not single:
            rows.extend(own)
    grand = BudgetRow(
        code,
        label,
        sum(r.forecast_cents for r in chapters),
        _sum([r.actual_cents for r in chapters]),
        is_chapter=True,
    )
    return tuple(rows), grand


def budget(actuals: Mapping[str, int]) -> Budget:
    """Forecast against actual amounts (in cents) keyed by account, in the chart of accounts:
    charges are class 6, receipts class 7."""
    charges = [line for line in LINES if line.code.startswith("6")]
    receipts = [line for line in LINES if line.code.startswith("7")]
    charge_rows, total_charges = _side(charges, actuals, "total", "Total des charges")
    receipt_rows, total_receipts = _side(receipts, actuals, "total-produits", "Total des produits")
    return Budget(charge_rows, total_charges, receipt_rows, total_receipts)


def parse_euros(text: str) -> int | None:
    """« 1 234,50 » or « 1234.5 » -> 123450 cents; empty -> None; ValueError otherwise."""
    cleaned = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    cleaned = cleaned.removesuffix("€").replace(",", ".")
    if not cleaned:
        return None
    whole, _, decimals = cleaned.partition(".")
    if not whole.lstrip("-").isdigit() or (decimals and not decimals.isdigit()):
        raise ValueError(f"montant invalide : {text}")
    if len(decimals) > 2:
        raise ValueError(f"deux décimales au plus : {text}")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int((decimals or "0").ljust(2, "0")))


def euros(cents: int | None) -> str:
    """French formatting: 4 000 € or 1 234,50 €; a dash when unknown."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    text = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{text},{rest:02d} €" if rest else f"{sign}{text} €"
