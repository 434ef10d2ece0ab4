"""Versions of the software a run used (for the manifest and the methodology section)."""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = (
    "survey",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "pymorphy3",
    "pymorphy3-dicts-ru",
    "openpyxl",
    "defusedxml",
    "PyYAML",
    "click",
    "matplotlib",
    "fpdf2",
    "pyreadstat",
)


def versions() -> dict[str, str]:
    """``{"python": "3.11.7", "pandas": "…", …}`` for the packages installed."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found
