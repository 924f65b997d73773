"""Norwegian number formatting for the report, independent of the system locale."""

from __future__ import annotations

import math
import re

NBSP = "\u00a0"
MINUS = "\u2212"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in {"<NA>", "nan"}


def format_int(value: object, *, missing: str = "–") -> str:
    """1234567 -> '1 234 567' with non-breaking spaces; negative numbers with a real minus sign."""
    if _missing(value):
        return missing
    number = int(round(float(value)))
    text = f"{abs(number):,}".replace(",", NBSP)
    return (MINUS if number < 0 else "") + text


def format_decimal(value: object, decimals: int = 1, *, missing: str = "–") -> str:
    """12.5 -> '12,5'; thousands separated by non-breaking spaces."""
    if _missing(value):
        return missing
    number = float(value)
    text = f"{abs(number):,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", NBSP)
    return (MINUS if number < 0 and text.strip("0,") else "") + text


def format_percent(value: object, decimals: int = 1, *, missing: str = "–") -> str:
    """0.125 -> '12,5 %' (a share in, a percentage out)."""
    if _missing(value):
        return missing
    return format_decimal(float(value) * 100, decimals) + NBSP + "%"


def format_short(value: float) -> str:
    """The shortest form of a small number with decimal comma: 5 -> '5', 7.5 -> '7,5' (for rule texts)."""
    return f"{value:g}".replace(".", ",")


def format_count(value: float, singular: str, plural: str) -> str:
    """'1 plass', '383 plasser', '1 200 plasser'; infinity reads 'ubegrenset'."""
    if value == float("inf"):
        return f"ubegrenset antall {plural}"
    return f"{format_int(value)} {singular if value == 1 else plural}"


def format_change(value: object, *, missing: str = "–") -> str:
    """A signed whole-number change: '+12', '−5', '0'."""
    if _missing(value):
        return missing
    number = int(round(float(value)))
    return ("+" if number > 0 else "") + format_int(number)


_PERCENT_SIGN = re.compile(r"(\d)(?:[.,](\d+))?[ \u00a0]?%")


def norwegian_text(text: object) -> str:
    """Percentages inside a ready-made text written the Norwegian way: '43 %' and '0.7%' become '43 %' and '0,7 %'
    (non-breaking space, decimal comma); for texts made elsewhere (notes, model names) before they are shown."""
    if _missing(text):
        return ""
    return _PERCENT_SIGN.sub(lambda m: m.group(1) + ("," + m.group(2) if m.group(2) else "") + NBSP + "%", str(text))
