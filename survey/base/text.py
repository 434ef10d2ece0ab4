"""Small text normalisation helpers shared by ingest, validation and coding."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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
    return _CONTROL.sub("", text).strip()


# ---------------------------------------------------------------- comparing identifiers and names

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Latin letters that look like Cyrillic ones (and back): «E001» vs «Е001», «Tвepь» vs «Тверь»
_LATIN_TO_CYRILLIC = dict(zip("ABCEHKMOPTXaceopxyi", "АВСЕНКМОРТХасеорхуі"))
_CYRILLIC_TO_LATIN = {c: lat for lat, c in _LATIN_TO_CYRILLIC.items()}
_INVISIBLE_NAMES = {
    0x00AD: "мягкий перенос",
    0x200B: "пробел нулевой ширины",
    0x200C: "разъединитель нулевой ширины",
    0x200D: "соединитель нулевой ширины",
    0x200E: "знак направления слева направо",
    0x200F: "знак направления справа налево",
    0x2060: "соединитель слов",
    0xFEFF: "метка порядка байтов (BOM)",
}
_WORD = re.compile(r"\w+")


def is_invisible(ch: str) -> bool:
    """A format character that shows nothing (U+200B, U+FEFF, soft hyphen, U+2060, bidi marks…)."""
    return unicodedata.category(ch) == "Cf"


def _script(ch: str) -> str:
    if "a" <= ch.lower() <= "z":
        return "latin"
    if "\u0400" <= ch <= "\u04ff":
        return "cyrillic"
    return ""


def _main_script(word: str) -> str:
    """The script a word is written in: decided by its letters that have no look-alike in the
    other script («в», «ь» in «Tвepь»), else by the majority."""
    own = [_script(ch) for ch in word if ch not in _LATIN_TO_CYRILLIC and ch not in _CYRILLIC_TO_LATIN]
    latin, cyrillic = own.count("latin"), own.count("cyrillic")
    if latin == cyrillic:
        latin = sum(_script(ch) == "latin" for ch in word)
        cyrillic = sum(_script(ch) == "cyrillic" for ch in word)
    return "cyrillic" if cyrillic >= latin else "latin"


def plural_word(n: int, one: str, few: str, many: str) -> str:
    """The form of a noun after the numeral ``n``: «1 строка», «3 строки», «5 строк».

    >>> [plural_word(n, "строка", "строки", "строк") for n in (1, 3, 11, 22, 293)]
    ['строка', 'строки', 'строк', 'строки', 'строки']
    """
    n = int(n)
    tail10, tail100 = n % 10, n % 100
    if tail10 == 1 and tail100 != 11:
        return one
    return few if 2 <= tail10 <= 4 and not 12 <= tail100 <= 14 else many


def bulleted(items: Iterable[object], limit: int | None = None) -> str:
    """One «  - item» line per item (the first ``limit``), and how many more there are.

    >>> print(bulleted(["a", "b", "c"], limit=2))
      - a
      - b
      … и ещё 1
    """
    texts = [str(x) for x in items]
    shown = texts if limit is None else texts[:limit]
    more = [f"  … и ещё {len(texts) - len(shown)}"] if len(texts) > len(shown) else []
    return "\n".join([f"  - {t}" for t in shown] + more)


def listed(items: Iterable[object], limit: int = 10) -> str:
    """The first ``limit`` items joined by commas, and how many more there are.

    >>> listed(range(2, 15), limit=3)
    '2, 3, 4 и ещё 10'
    """
    texts = [str(x) for x in items]
    shown = ", ".join(texts[:limit])
    return shown + (f" и ещё {len(texts) - limit}" if len(texts) > limit else "")


def identity_key(text: object) -> str:
    """What two spellings of one identifier or name share: NFKC, invisible characters removed,
    Cyrillic look-alikes folded to Latin, case, ё/е and every space ignored.

    >>> identity_key("E001") == identity_key("Е001") == identity_key(" e\\u200b001 ") == identity_key("E 001")
    True
    >>> identity_key("B01") == identity_key("b 01") == identity_key("В01")
    True
    >>> identity_key("Tвepь") == identity_key("Тверь")
    True
    """
    text = str(text)
    if text.isascii():  # no look-alike, no format character, NFKC leaves it as it is
        return "".join(text.lower().split())
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("ё", "е").replace("Ё", "Е")
    text = "".join(_CYRILLIC_TO_LATIN.get(ch, ch) for ch in text if not is_invisible(ch))
    return "".join(text.lower().split())


def clean_lookalikes(text: str) -> str:
    """NFKC, invisible characters removed, and in each word the letters of the minority script
    replaced by their look-alikes of the word's main script («Tвepь» → «Тверь»)."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not is_invisible(ch))

    def fix(m: re.Match[str]) -> str:
        word = m.group()
        latin = sum(_script(ch) == "latin" for ch in word)
        cyrillic = sum(_script(ch) == "cyrillic" for ch in word)
        if not latin or not cyrillic:
            return word
        table = _LATIN_TO_CYRILLIC if _main_script(word) == "cyrillic" else _CYRILLIC_TO_LATIN
        return "".join(table.get(ch, ch) for ch in word)

    return _WORD.sub(fix, text)


def oddities(text: str) -> list[str]:
    """What is unusual in a short text, in Russian: invisible characters (by code and name),
    letters of another script inside a word, characters in a special form (NFKC).

    >>> oddities("Москва\\u200b")
    ['невидимый символ U+200B (пробел нулевой ширины)']
    >>> oddities("Tвepь")
    ['латинские буквы «T», «e», «p» в слове «Tвepь»']
    """
    out: list[str] = []
    seen: set[str] = set()
    for ch in text:
        if is_invisible(ch) and ch not in seen:
            seen.add(ch)
            name = _INVISIBLE_NAMES.get(ord(ch)) or unicodedata.name(ch, "").lower()
            out.append(f"невидимый символ U+{ord(ch):04X} ({name})")
    visible = "".join(ch for ch in text if not is_invisible(ch))
    for m in _WORD.finditer(visible):
        word = m.group()
        latin = [ch for ch in word if _script(ch) == "latin"]
        cyrillic = [ch for ch in word if _script(ch) == "cyrillic"]
        if latin and cyrillic:
            minority, name = (latin, "латинск") if _main_script(word) == "cyrillic" else (cyrillic, "кириллическ")
            letters = ", ".join(f"«{ch}»" for ch in dict.fromkeys(minority))
            many = len(dict.fromkeys(minority)) > 1
            out.append(f"{name}{'ие буквы' if many else 'ая буква'} {letters} в слове «{word}»")
    special = sorted({ch for ch in visible if unicodedata.normalize("NFKC", ch) != ch and not ch.isspace()})
    if special:
        out.append("символы в особой форме: " + ", ".join(f"«{ch}» (U+{ord(ch):04X})" for ch in special[:5]))
    return out


def difference(a: str, b: str) -> list[str]:
    """How two spellings with the same :func:`identity_key` differ, in Russian.

    >>> difference("E001", "Е001")
    ['в одном латинская «E», в другом кириллическая «Е»']
    >>> difference("e001", "E 001")
    ['регистр букв', 'пробелы']
    """
    out: list[str] = []
    for text in (a, b):
        for note in oddities(text):
            if note.startswith("невидимый") and note not in out:
                out.append(note)
    va = unicodedata.normalize("NFKC", "".join(ch for ch in a if not is_invisible(ch)))
    vb = unicodedata.normalize("NFKC", "".join(ch for ch in b if not is_invisible(ch)))
    sa, sb = "".join(va.split()), "".join(vb.split())
    if len(sa) == len(sb):
        pairs = []
        for x, y in zip(sa, sb):
            if x != y and x.lower() != y.lower() and {_script(x), _script(y)} == {"latin", "cyrillic"}:
                lat, cyr = (x, y) if _script(x) == "latin" else (y, x)
                pair = f"латинская «{lat}», в другом кириллическая «{cyr}»"
                pairs.append(pair)
        for pair in dict.fromkeys(pairs):
            out.append("в одном " + pair)
    folded_a = "".join(_CYRILLIC_TO_LATIN.get(ch, ch) for ch in sa)
    folded_b = "".join(_CYRILLIC_TO_LATIN.get(ch, ch) for ch in sb)
    if folded_a != folded_b and folded_a.lower() == folded_b.lower():
        out.append("регистр букв")
    if sa != va.strip() or sb != vb.strip() or va.strip() != va or vb.strip() != vb:
        out.append("пробелы")
    lower_a, lower_b = folded_a.lower(), folded_b.lower()
    if lower_a != lower_b and lower_a.replace("ё", "е") == lower_b.replace("ё", "е"):
        out.append("ё/е")
    return out or ["особые формы символов"]
