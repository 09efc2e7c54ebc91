"""The action sheet's forecast budget, and its comparison with the amounts actually spent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class BudgetLine:
    code: str
    label: str
    forecast_cents: int
    chapter: str  # the account class it adds up to ("60", "62"...); "70" for receipts


CHAPTERS: dict[str, str] = {
    "60": "60 – Achats",
    "61": "61 – Services extérieurs",
    "62": "62 – Autres services extérieurs",
    "63": "63 – Impôts et taxes",
    "64": "64 – Charges de personnel",
}
RECEIPTS_CHAPTER = "70"

# The lines the operator enters amounts for; chapter totals are sums of them.
LINES: tuple[BudgetLine, ...] = (
    BudgetLine("601", "Achat matières et fournitures", 200_00, "60"),
    BudgetLine("613", "Location salles", 0, "60"),
    BudgetLine("61", "Services extérieurs", 0, "61"),
    BudgetLine("625", "Déplacements", 100_00, "62"),
    BudgetLine("623", "Communication, publicité", 100_00, "62"),
    BudgetLine("626", "Autres : téléphone, internet, missions, réception", 60_00, "62"),
    BudgetLine("63", "Impôts et taxes", 0, "63"),
    BudgetLine("641", "Rémunération des personnels", 2410_00, "64"),
    BudgetLine("645", "Charges sociales", 930_00, "64"),
    BudgetLine("648", "Autres charges de personnel", 200_00, "64"),
    BudgetLine(
        "70", "Subventions d'exploitation (Dijon Métropole / Ville de Dijon)", 4000_00, "70"
    ),
)
LINE_CODES = frozenset(line.code for line in LINES)


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
    charges: tuple[BudgetRow, ...]  # chapters followed by their lines
    total_charges: BudgetRow
    receipts: tuple[BudgetRow, ...]

    @property
    def balance_forecast_cents(self) -> int:
        return sum(r.forecast_cents for r in self.receipts) - self.total_charges.forecast_cents

    @property
    def balance_actual_cents(self) -> int | None:
        actual = [r.actual_cents for r in self.receipts]
        if self.total_charges.actual_cents is None or None in actual:
            return None
        return sum(a or 0 for a in actual) - self.total_charges.actual_cents


def _sum(values: list[int | None]) -> int | None:
    """A total is known once any of its lines is; lines not entered count as zero."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def budget(actuals: Mapping[str, int]) -> Budget:
    """Forecast against actual amounts (in cents) keyed by line code."""
    charges: list[BudgetRow] = []
    for chapter, label in CHAPTERS.items():
        lines = [line for line in LINES if line.chapter == chapter]
        rows = [BudgetRow(x.code, x.label, x.forecast_cents, actuals.get(x.code)) for x in lines]
        charges.append(
            BudgetRow(
                chapter,
                label,
                sum(r.forecast_cents for r in rows),
                _sum([r.actual_cents for r in rows]),
                is_chapter=True,
            )
        )
        # A chapter with a single line of its own code is shown once.
        charges.extend(r for r in rows if r.code != chapter)
    chapters = [r for r in charges if r.is_chapter]
    total = BudgetRow(
        "total",
        "Total des charges",
        sum(r.forecast_cents for r in chapters),
        _sum([r.actual_cents for r in chapters]),
        is_chapter=True,
    )
    receipts = tuple(
        BudgetRow(x.code, x.label, x.forecast_cents, actuals.get(x.code))
        for x in LINES
        if x.chapter == RECEIPTS_CHAPTER
    )
    return Budget(tuple(charges), total, receipts)


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
