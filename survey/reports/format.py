"""Russian number and text formatting for the reports: decimal comma, «p < 0,001», plural agreement.

>>> fmt_num(56.09756, 1), fmt_pct(56.09756), fmt_p(3.1e-06), fmt_p(0.0481), fmt_p_table(3.0859e-06)
('56,1', '56,1\\xa0%', 'p\\xa0<\\xa00,001', 'p\\xa0=\\xa00,048', '3,1·10⁻⁶')
>>> plural(123, "эксперт", "эксперта", "экспертов"), plural(21, "эксперт", "эксперта", "экспертов")
('123 эксперта', '21 эксперт')
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from survey.base.missing import is_blank
from survey.base.text import plural_word

NBSP = "\u00a0"
MINUS = "\u2212"  # a typographic minus: «−51,6»


def fmt_num(value: Any, digits: int = 1, missing: str = "—") -> str:
    """A number with a decimal comma and ``digits`` decimals; thousands with a narrow space."""
    if is_blank(value):
        return missing
    text = f"{float(value):,.{digits}f}"
    if text.startswith("-") and text.strip("-0.,") == "":
        text = text[1:]  # -0,0 is 0,0
    return text.replace(",", "\u202f").replace(".", ",").replace("-", MINUS)


def fmt_int(value: Any, missing: str = "—") -> str:
    if is_blank(value):
        return missing
    return f"{int(value):,}".replace(",", "\u202f")


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A percentage (0–100) as «56,1 %» (no-break space before %)."""
    return f"{fmt_num(value, digits)}{NBSP}%" if not is_blank(value) else "—"


def fmt_p(p: Any) -> str:
    """A p-value in a sentence: «p < 0,001», «p = 0,048»."""
    if is_blank(p):
        return "p не определено"
    if p < 0.001:
        return f"p{NBSP}<{NBSP}0,001"
    return f"p{NBSP}={NBSP}{fmt_num(p, 3)}"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_p_table(p: Any) -> str:
    """A p-value in a table: three decimals, or «3,1·10⁻⁶» below 0,001."""
    if is_blank(p):
        return "—"
    p = float(p)
    if p >= 0.001:
        return fmt_num(p, 3)
    if p == 0:
        return "0"
    mantissa, exponent = f"{p:.1e}".split("e")
    return f"{mantissa.replace('.', ',')}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def fmt_ratio(value: Any) -> str:
    """An odds ratio: three decimals below 10, two below 100, else one."""
    if is_blank(value):
        return "—"
    v = float(value)
    return fmt_num(v, 3 if v < 10 else 2 if v < 100 else 1)


def fmt_interval(low: Any, high: Any, fmt=fmt_num, **kw) -> str:
    """«6,2–33,5»; with a negative bound «−68,1 … −35,2» (a dash beside a minus would misread)."""
    if is_blank(low) or is_blank(high):
        return "—"
    sep = " … " if float(low) < 0 or float(high) < 0 else "–"
    return f"{fmt(low, **kw)}{sep}{fmt(high, **kw)}"


def fmt_date(value: Any) -> str:
    if is_blank(value):
        return "—"
    return pd.Timestamp(value).strftime("%d.%m.%Y")


def plural(n: int, one: str, few: str, many: str, *, number: bool = True) -> str:
    """«1 эксперт», «2 эксперта», «5 экспертов» (Russian agreement with a numeral)."""
    word = plural_word(n, one, few, many)
    return f"{fmt_int(int(n))} {word}" if number else word


def genitive(n: int, singular: str, plural_form: str) -> str:
    """After «из»/«представители»: «из 21 эксперта», «из 123 экспертов»."""
    n = int(n)
    word = singular if n % 10 == 1 and n % 100 != 11 else plural_form
    return f"{fmt_int(n)} {word}"


def quoted(text: str) -> str:
    return f"«{text}»"


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def decimal_comma(text: Any) -> Any:
    """Decimal points in a Russian note written by the analysis become commas: «4.65» → «4,65»."""
    return _DECIMAL_POINT.sub(",", text) if isinstance(text, str) else text
