"""Person names in open answers, found and masked «[ФИО]».

Expert names are dropped from the outputs with their column, but an answer may name people
(«как отметил глава города Иванов И. И.»). :func:`mask_names` finds them with the Russian news
NER model that ships inside the ``natasha`` wheel (slovnet + navec: numpy only, no download,
no GPU), corrected by a few rules on pymorphy3's dictionary facts:

* a LOC/ORG span whose every word is a trusted surname, first name or patronymic becomes a
  person («Оглоблин», «Дамбаев» — names the NER takes for places);
* a person span whose every word is a dictionary place name is dropped («с Харбином»);
* a capitalised word inside a sentence that the dictionary knows as a name is added («С Морозом
  из министерства»);
* initials are glued to names and found on their own («И. И. Сидоров», «Сидоров И.И.»);
* a name after «улица», «проспект», «имени», «им.», «памятник»… is a place, not a person.

pymorphy3's Name/Surn/Geox tags are trusted only for dictionary words (its suffix guesser gives
Geox to «Чжао» and Name to «Шаньдун»), a guessed surname only with a Russian surname ending.
Texts with no capitalised word that could be a name and no initials skip the NER.

Measured on ``tests/data/corpus/names.csv`` (160 answers, 119 mentions): recall 1.0, precision
0.97 (Chinese toponyms the dictionary does not know, and «Вера» opening a sentence, are masked
too; 0.99 with the bundled study's list of words that are never names); see the README. Recall
comes first: a name left in an output is worse than a masked place name.

>>> [m.masked for m in mask_names(["Об этом говорил Сидоров И. И. на совещании.", "Проблем нет."])]
['Об этом говорил [ФИО] на совещании.', 'Проблем нет.']
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

MASK = "[ФИО]"
BATCH_SIZE = 32

_UP = "А-ЯЁ"
_LO = "а-яё"
_CAPWORD = rf"[{_UP}][{_LO}]+(?:-[{_UP}]?[{_LO}]+)*"  # Тер-Аванесов, Ковалёва-Смирнова
_INIT = rf"[{_UP}]\."
_INIT_BEFORE = re.compile(rf"(?<![\w.])((?:{_INIT}\s?){{1,2}})\s?({_CAPWORD})")  # И. И. Фамилия
_INIT_AFTER = re.compile(rf"(?<![\w-])({_CAPWORD})\s+({_INIT}(?:\s?{_INIT})?)(?![\w])")  # Фамилия И. И.
_TAIL_INITS = re.compile(rf"^\s+{_INIT}(?:\s?{_INIT})?(?!\w)")
_HEAD_INITS = re.compile(rf"(?<![\w.])(?:{_INIT}\s?){{1,2}}\s?$")
_CAP_TOKEN = re.compile(rf"(?<![\w-]){_CAPWORD}")
_WORD = re.compile(rf"[{_UP}{_LO}A-Za-z]+(?:-[{_UP}{_LO}A-Za-z]+)*")
_PREV_WORD = re.compile(r"([\w-]+)\.?\s*$")
_CONTEXT = re.compile(
    r"^(?:улиц\w*|ул|проспект\w*|просп|пр-т|пр|площад\w*|пл|переул\w*|пер|бульвар\w*|б-р|набережн\w*|наб|"
    r"шоссе|проезд\w*|аллея|аллее|аллеи|аллею|имени|им|памятник\w*|мемориал\w*|премии|премию|премия|премией|"
    r"орден\w*|станции|станция|метро|г|гор|пос|пгт|р-н)$",
    re.IGNORECASE,
)
# a capitalised word after a form of address is a name whatever the dictionary says («господин Ван»)
_ADDRESSED = re.compile(
    rf"(?<![\w-])(?i:господин\w*|госпож\w*|г-н\w*|г-ж\w*|мистер\w*|миссис|мисс|товарищ\w*|мадам)\s+"
    rf"({_CAPWORD}(?:\s+{_CAPWORD})?)"
)
_PERSON = {"Name", "Surn", "Patr"}
_SENT_END = ".!?…:;"
_OPENERS = "«\"“„'(—–-"
_SURNAME_ENDING = re.compile(r"(?:ов|ев|ёв|ин|ын|ский|цкий|ской|ых|их|енко|ко|ук|юк|чук|ич|ян|дзе|швили|ия|ишвили)$")


@dataclass(frozen=True)
class NameSpan:
    """A person mention: ``text[start:end] == original``."""

    start: int
    end: int
    original: str


@dataclass(frozen=True)
class MaskedText:
    """One answer: the original text, the text with every mention replaced by «[ФИО]», the spans."""

    text: str
    masked: str
    spans: tuple[NameSpan, ...]

    @property
    def has_names(self) -> bool:
        return bool(self.spans)


def mask_names(texts: Iterable[str | None], protect: Iterable[str] = ()) -> list[MaskedText]:
    """Find and mask person names in every text (``None`` counts as empty).

    ``protect``: words that are never names in these texts — lower-case forms or lemmas, such as
    the codebook's vocabulary («ковид», «коронавирус»): a one-word mention made only of such a
    word is not masked. Pass a whole column in one call: the NER runs batched over texts sorted by
    length (several times faster than one text at a time). The model is loaded on the first call
    (about 1–2 s, ~110 MB) and kept.
    """
    items = ["" if t is None else str(t) for t in texts]
    protected = frozenset(w.lower().replace("ё", "е") for w in protect)
    ner = _ner_spans(items, protected)
    out = []
    for text, found in zip(items, ner):
        spans = [(a, b) for a, b in _rules(text, found) if not _common_word(text, a, b, protected)]
        addressed = [m.span(1) for m in _ADDRESSED.finditer(text) if not _titles(m.group(1))]
        if addressed:
            spans = _merge(spans + addressed, text)
        parts, last = [], 0
        for a, b in spans:
            parts += [text[last:a], MASK]
            last = b
        parts.append(text[last:])
        out.append(MaskedText(text, "".join(parts), tuple(NameSpan(a, b, text[a:b]) for a, b in spans)))
    return out


def model_files() -> list[Path]:
    """The model files the NER loads, from the installed natasha wheel (never downloaded)."""
    data = _natasha_data()
    return [data / "emb" / "navec_news_v1_1B_250K_300d_100q.tar", data / "model" / "slovnet_ner_news_v1.tar"]


# ---------------------------------------------------------------- models


def _natasha_data() -> Path:
    # find_spec does not run natasha/__init__ (which imports pymorphy2 and yargy, not needed here)
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("natasha is not installed: pip install natasha")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@lru_cache(maxsize=1)
def _ner() -> Any:
    from navec import Navec
    from slovnet import NER

    emb, model = model_files()
    ner = NER.load(str(model))
    ner.navec(Navec.load(str(emb)))
    ner.batch_size = BATCH_SIZE
    ner.infer.encoder.batch_size = BATCH_SIZE
    return ner


def _one_blas_thread() -> Any:
    """The NER multiplies small matrices: BLAS threads only add overhead (2–4× slower measured)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl comes with scikit-learn; without it, default threads
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


class _Word(NamedTuple):
    person: bool  # some parse is Name/Surn/Patr
    known: bool  # a dictionary word (not guessed)
    trusted: bool  # person, and known or a guessed surname with a Russian ending
    geox_only: bool  # known, and every parse is Geox
    not_person: bool  # no parse is a person, or it is a place


@lru_cache(maxsize=100_000)
def _word(word: str) -> _Word:
    m = _morph()
    parses = m.parse(word)
    known = m.word_is_known(word.lower())
    person = geox = surname = False
    for p in parses:
        grammemes = p.tag.grammemes
        if grammemes & _PERSON:
            person = True
            if "Surn" in grammemes and _SURNAME_ENDING.search(p.normal_form):
                surname = True
        if "Geox" in grammemes:
            geox = True
    trusted = person and (known or surname)
    geox_only = known and bool(parses) and all("Geox" in p.tag.grammemes for p in parses)
    return _Word(person, known, trusted, geox_only, not person or geox)


# ---------------------------------------------------------------- the steps


def _sentence_start(text: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and (text[j].isspace() or text[j] in _OPENERS):
        j -= 1
    return j < 0 or text[j] in _SENT_END


def _needs_ner(text: str, protected: frozenset[str] = frozenset()) -> bool:
    """Could this text hold a name at all? Initials, or a capitalised word that is neither a
    protected word (never masked anyway) nor only a dictionary place name (at a sentence start:
    one that may be a name or is unknown)."""
    if _INIT_BEFORE.search(text) or _INIT_AFTER.search(text):
        return True
    for m in _CAP_TOKEN.finditer(text):
        if protected and _protected(m.group(), protected):
            continue
        info = _word(m.group())
        if _sentence_start(text, m.start()):
            if info.person or not info.known:
                return True
        elif not info.geox_only:
            return True
    return False


def _ner_spans(texts: Sequence[str], protected: frozenset[str]) -> list[list[tuple[int, int, str]]]:
    out: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    todo = [i for i, t in enumerate(texts) if t.strip() and _needs_ner(t, protected)]
    if not todo:
        return out
    ner = _ner()
    todo.sort(key=lambda i: len(texts[i]))  # similar lengths in a batch: less padding
    with _one_blas_thread():
        for i, markup in zip(todo, ner.map([texts[i] for i in todo])):
            out[i] = [(s.start, s.stop, s.type) for s in markup.spans]
    return out


def _common_word(text: str, a: int, b: int, protected: frozenset[str]) -> bool:
    """A mention that is not a name: words that are all protected («Великому Новгороду»), or one
    word that is a protected word (``prefix*`` entries protect every word starting so), a
    dictionary word none of whose readings is a name, surname or patronymic («Основные»,
    «Коронавирусная» opening a sentence), or an unknown word opening a sentence without a surname's
    ending (a typo such as «Оснвоные», a new word such as «Ковид»)."""
    words = _WORD.findall(text[a:b])
    if len(words) > 1:  # «Великому Новгороду»: every word a protected one (a unit's name)
        return all(_protected(w, protected) for w in words)
    if len(words) != 1:
        return False
    word = words[0]
    if _protected(word, protected):
        return True
    key = word.lower().replace("ё", "е")
    info = _word(word)
    if info.known and not info.person:
        return True
    return not info.known and _sentence_start(text, a) and not _SURNAME_ENDING.search(key)


def _titles(words: str) -> bool:
    """«Председатель», «Посол Китая»: a title (a known animate noun that is no name), not a name
    («господин Ван», «господин Сунь»: words that are a van or a verb elsewhere)."""
    first = _WORD.findall(words)[0]
    if _word(first).person or not _morph().word_is_known(first.lower()):
        return False
    return any({"NOUN", "anim"} <= p.tag.grammemes for p in _morph().parse(first))


def _protected(word: str, protected: frozenset[str]) -> bool:
    key = word.lower().replace("ё", "е")
    if key in protected or any(p.normal_form.replace("ё", "е") in protected for p in _morph().parse(word)):
        return True
    return any(entry.endswith("*") and key.startswith(entry[:-1]) for entry in protected)


def _merge(spans: Iterable[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and (a <= out[-1][1] or text[out[-1][1] : a].isspace()):
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def _rules(text: str, ner: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    per: list[tuple[int, int]] = []
    other: list[tuple[int, int]] = []
    for a, b, kind in ner:
        words = _WORD.findall(text[a:b])
        infos = [_word(w) for w in words]
        if kind == "PER":
            if infos and all(i.geox_only for i in infos):
                continue  # «с Харбином»
            per.append((a, b))
        elif infos and all(w[0].isupper() for w in words) and all(i.trusted and not i.not_person for i in infos):
            per.append((a, b))  # a surname the NER took for a place
        else:
            other.append((a, b))
    taken = per + other
    for m in _CAP_TOKEN.finditer(text):
        a, b = m.span()
        if any(x < b and a < y for x, y in taken) or _sentence_start(text, a):
            continue
        if _word(m.group()).trusted:
            per.append((a, b))
    for m in _INIT_BEFORE.finditer(text):
        info = _word(m.group(2))
        if m.group(1).count(".") >= 2 or info.person or not info.known:
            per.append(m.span())
    for m in _INIT_AFTER.finditer(text):
        info = _word(m.group(1))
        if (m.group(2).count(".") >= 2 or info.person) and not info.geox_only:
            per.append(m.span())
    glued = []
    for a, b in per:
        tail = _TAIL_INITS.match(text[b : b + 8])
        if tail:
            b += tail.end()
        head = _HEAD_INITS.search(text[max(0, a - 8) : a])
        if head:
            a -= len(head.group())
        glued.append((a, b))
    merged = _merge(glued, text)
    kept = []
    for a, b in merged:
        prev = _PREV_WORD.search(text[max(0, a - 40) : a])
        if prev and _CONTEXT.match(prev.group(1)):
            continue  # «улица Ленина», «имени Чайковского»
        kept.append((a, b))
    return kept
