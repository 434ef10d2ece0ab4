"""What counts as a missing value, in one place.

Missing: ``None``, ``NaN`` (float or NumPy), ``pd.NA`` and ``pd.NaT``. *Blank* also counts a
string that is empty or only white space — an empty cell as a spreadsheet user sees it.

>>> [is_missing(v) for v in (None, float("nan"), pd.NA, pd.NaT, "", 0)]
[True, True, True, True, False, False]
>>> [is_blank(v) for v in ("", "  ", "0", None)]
[True, True, False, True]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def is_missing(value: Any) -> bool:
    """``None``, ``NaN``, ``pd.NA`` or ``pd.NaT``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def is_blank(value: Any) -> bool:
    """Missing, or a string that is empty or only white space."""
    return is_missing(value) or (isinstance(value, str) and not value.strip())
