"""Small text normalisation helpers shared by ingest, validation and coding."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Case- and ё-insensitive key: ``fold(" Ёлка  Зелёная ") == "елка зеленая"``."""
    text = unicodedata.normalize("NFC", str(text))
    return _SPACES.sub(" ", text).strip().lower().replace("ё", "е")


def clean_cell_text(text: str) -> str:
    """Text of a cell as a user meant it: NFC, no control characters, trimmed.

    Line breaks and tabs inside an answer are kept as spaces/newlines; other control
    characters (which Excel cannot even store) are removed.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cs"):
            continue
        else:
            out.append(ch)
    return "".join(out).strip()
