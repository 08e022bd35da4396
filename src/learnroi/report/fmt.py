"""Number formatting shared by every exporter, so the HTML, the PDF and the workbook print the same figures."""

from __future__ import annotations

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(x: float | None, currency: str = "USD", *, cents: bool = False) -> str:
    """``$1,234,568`` (or ``$1,234,567.89`` with ``cents``); unknown currencies as ``CHF 1,234``."""
    if x is None:
        return "n/a"
    sym = _SYMBOLS.get(currency.upper())
    body = f"{abs(x):,.2f}" if cents else f"{abs(x):,.0f}"
    sign = "-" if x < 0 and float(body.replace(",", "")) != 0 else ""
    return f"{sign}{sym}{body}" if sym else f"{sign}{currency} {body}"


def pct(x: float | None, digits: int = 1) -> str:
    """An ROI or rate already in percent: ``142.3%``."""
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}%"


def share(x: float | None, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage: ``0.873`` -> ``87%``."""
    if x is None:
        return "n/a"
    return f"{100 * x:.{digits}f}%"


def number(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}"


def roi_range(low: float | None, high: float | None) -> str:
    """``-12.0% to 210.5%``: the ROI interval as every format prints it."""
    return f"{pct(low)} to {pct(high)}"


def months(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.1f} months"


def ascii_safe(text: str) -> str:
    """Text for the PDF's core fonts (Latin-1): typographic characters replaced by plain ones."""
    table = {
        "−": "-",
        "–": "-",
        "—": "-",
        "≥": ">=",
        "≤": "<=",
        "→": "->",
        "×": "x",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "€": "EUR ",
        "•": "-",
        "Δ": "delta ",
    }
    out = "".join(table.get(ch, ch) for ch in text)
    return out.encode("latin-1", "replace").decode("latin-1")
