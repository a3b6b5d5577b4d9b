"""Numbers as people read them: the one formatter behind every text, table, chart and transcript.

Below everything (like `sanitize`): it imports nothing from talk2model, so every layer may use it.
One rule, so a figure reads the same wherever it appears:

- whole numbers with thousands separators: 1567 -> "1,567"; 7 -> "7" (integral floats too: 24.0 -> "24")
- other numbers with four significant digits, trailing zeros dropped: 0.19649 -> "0.1965",
  24.25 -> "24.25", 3.5 -> "3.5"; from 1,000 on, rounded to a whole number: 3291.5 -> "3,292"
- shares as percentages with one decimal: 0.579 -> "57.9%"; a gap between two shares in
  percentage points: 0.091 -> "9.1 points"; an interval of shares: "35.9–91.8%"
- yes / no for booleans; "n/a" for a missing number (an empty cell in a table)

    >>> fmt_number(1567), fmt_number(0.19649), fmt_percent(0.579), fmt_interval(0.359, 0.918)
    ('1,567', '0.1965', '57.9%', '35.9–91.8%')
"""

from __future__ import annotations

import math
import numbers
from typing import Any

MISSING = "n/a"
SIGNIFICANT = 4          # significant digits of a number that is not whole
PERCENT_DECIMALS = 1     # decimals of a percentage (and of percentage points)


def plain(value: Any) -> Any:
    """numpy scalars -> Python; integral floats -> int (so 1.0 and 1 print alike)."""
    item = getattr(value, "item", None)
    if item is not None and not isinstance(value, (str, bytes)) and getattr(value, "shape", None) == ():
        value = item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)        # NaN, pd.NA and NaT are not equal to themselves
    except (TypeError, ValueError):        # pd.NA raises on bool()
        return True


def fmt_number(value: Any) -> str:
    """One number in words: '1,567', '0.1965', '24.25', '3,292', 'yes'. Anything that is not a
    number is returned as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, str) and is_missing(value):
        return MISSING
    value = plain(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isinf(value):
            return "infinity" if value > 0 else "minus infinity"
        if abs(value) >= 1000:
            return f"{round(value):,}"
        text = f"{value:.{SIGNIFICANT}g}"
        if "e" in text:                      # tiny numbers: keep them readable, not 1.2e-05
            text = f"{value:.{SIGNIFICANT}f}".rstrip("0").rstrip(".") or "0"
            if text in ("0", "-0"):
                return f"{value:.{SIGNIFICANT - 1}g}"
        if abs(float(text)) >= 1000:         # 999.96 rounds up to a whole thousand
            return f"{round(value):,}"
        return "0" if text == "-0" else text
    return str(value)


def fmt_percent(share: float | None) -> str:
    """0.579 -> '57.9%'."""
    if share is None or is_missing(share):
        return MISSING
    return f"{100 * float(share):.{PERCENT_DECIMALS}f}%"


def fmt_points(gap: float | None) -> str:
    """A difference of two shares: 0.091 -> '9.1 points'."""
    if gap is None or is_missing(gap):
        return MISSING
    return f"{100 * float(gap):.{PERCENT_DECIMALS}f} points"


def fmt_interval(low: float | None, high: float | None, *, percent: bool = True) -> str:
    """An interval of shares ('35.9–91.8%') or of numbers ('0.71–1.04')."""
    if low is None or high is None or is_missing(low) or is_missing(high):
        return MISSING
    if percent:
        return f"{100 * float(low):.{PERCENT_DECIMALS}f}–{100 * float(high):.{PERCENT_DECIMALS}f}%"
    return f"{fmt_number(low)}–{fmt_number(high)}"


def fmt_cell(value: Any) -> str:
    """One table cell: numbers as `fmt_number`, text as is, an empty cell for a missing value."""
    if isinstance(value, str):
        return value
    if is_missing(value):
        return ""
    if isinstance(value, (numbers.Number, bool)) or hasattr(value, "item"):
        return fmt_number(value)
    return str(value)
