"""The codebook: categories, their patterns, and the negation lexicons, as data.

``questionnaires/codebook.yaml`` is edited by sociologists. :func:`load_codebook` reads it,
runs every pattern through the same lemmatizer the answers go through, and checks it:
unknown keys or categories, patterns that lemmatise to nothing, duplicate patterns,
a bad gap syntax — each reported with its line in :class:`~survey.errors.ConfigError`.

>>> cb = load_codebook()
>>> cb.ids[:8]
['distance', 'language', 'funding', 'mentality', 'covid', 'legal', 'interest', 'bureaucracy']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from survey.base.lemmatize import Lemmatizer, as_cyrillic, morph_analyzer
from survey.base.text import bulleted, fold, listed
from survey.errors import Code, ConfigError, Location, Problem
from survey.spec.paths import default_path
from survey.spec.questionnaire import too_long_name
from survey.spec.yamlfile import LINE_KEY, item_lines, key_line, load_yaml

PATTERN_KINDS = ("terms", "needs", "needs_strict", "exclude")
TOP_KEYS = ("version", "categories", "rules", "learned")
# parts of speech of a word that cannot be a pattern by itself: it occurs in nearly every answer
_FUNCTION_POS = {"PREP": "предлог", "CONJ": "союз", "PRCL": "частица", "INTJ": "междометие", "NPRO": "местоимение"}
DEFAULT_GAP = 3
_GAP = re.compile(r"^~(\d*)$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_CATEGORY_KEYS = {
    "id",
    "label",
    "description",
    "questions",
    "no_problems",
    "compatible_with",
    LINE_KEY,
    *PATTERN_KINDS,
}
RULE_KEYS = (
    "negators",
    "absence",
    "problem_words",
    "problem_verbs",
    "light_verbs",
    "having",
    "resolution",
    "resolving_itself",
    "resolved_easily",
    "ability",
    "shortage_cues",
    "positive",
    "false_negations",
    "skip_after_negator",
    "boundaries",
    "not_boundaries",
    "exceptions",
    "topic_markers",
    "relative",
    "subordinators",
    "double_negation",
    "rather_than",
    "concessions",
    "past_markers",
    "now_markers",
    "persistence",
    "minimizers",
    "size_words",
    "sole",
    "rest",
    "parentheticals",
    "coping",
    "still_coping",
    "coping_needed",
    "hypothetical",
    "fillers",
    "asides",
    "polite",
    "reframes",
    "main_markers",
    "topic_problem_words",
    "verdict_adverbs",
    "dismissals",
    "interviewer",
    "respondent",
    "confirmations",
)
# lexicons whose entries may be phrases: their first words get the "phrase_start" bit
PHRASE_LEXICONS = (
    "boundaries",
    "not_boundaries",
    "exceptions",
    "false_negations",
    "double_negation",
    "concessions",
    "past_markers",
    "now_markers",
    "persistence",
    "minimizers",
    "shortage_cues",
    "fillers",
    "asides",
    "reframes",
    "dismissals",
)
# bit of each lexicon in a word's mask (see Rules.mask); "phrase_start": the word can open a
# multi-word entry of a phrase lexicon, "<lexicon>:start" of that lexicon in particular
BIT = {
    name: 1 << i
    for i, name in enumerate(
        (*RULE_KEYS, "phrase_start", "predicate", "anaphora", *(f"{n}:start" for n in PHRASE_LEXICONS))
    )
}


@dataclass(frozen=True)
class PatternWord:
    """One word of a pattern: a set of acceptable lemmas, or a prefix (``ковид*``)."""

    lemmas: frozenset[str] = frozenset()
    prefix: str | None = None
    gap: int = 0  # other words allowed before this one
    exact: str | None = None  # ``=далеко``: this written form only

    def matches(self, lemmas: frozenset[str], lower: str) -> bool:
        if self.exact is not None:
            return lower == self.exact
        if self.prefix is not None:
            return lower.startswith(self.prefix) or any(lemma.startswith(self.prefix) for lemma in lemmas)
        return not self.lemmas.isdisjoint(lemmas)


@dataclass(frozen=True)
class Pattern:
    text: str  # as written in the codebook
    words: tuple[PatternWord, ...]
    category: str
    kind: str  # terms | needs | needs_strict | exclude
    line: int | None = None  # its own line in the codebook file

    @cached_property
    def needed(self) -> tuple[frozenset[str], ...]:
        """The lemma sets of its words after the first (those given as lemmas, not as a prefix or
        a written form): a clause holding none of one set's lemmas cannot complete the pattern."""
        return tuple(w.lemmas for w in self.words[1:] if w.prefix is None and w.exact is None)


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    description: str
    questions: tuple[str, ...]
    patterns: tuple[Pattern, ...]
    no_problems: bool = False
    compatible_with: tuple[str, ...] = ()
    line: int | None = None


@dataclass
class Rules:
    """Lexicons of the negation and clause rules, lemmatised."""

    words: dict[str, frozenset[str]] = field(default_factory=dict)  # single-word lexicons
    forms: dict[str, frozenset[str]] = field(default_factory=dict)  # the same, as written
    phrases: dict[str, tuple[tuple[frozenset[str], ...], ...]] = field(default_factory=dict)  # multi-word

    def __post_init__(self) -> None:
        self._bit = BIT
        self._masks: dict[frozenset[str], int] = {}
        self._starts: dict[str, dict[str, list[tuple[frozenset[str], ...]]]] = {}

    def mask(self, lemmas: frozenset[str]) -> int:
        """Bit set of the lexicons any of ``lemmas`` belongs to (cached per lemma set)."""
        m = self._masks.get(lemmas)
        if m is None:
            m = 0
            for name, words in self.words.items():
                if not words.isdisjoint(lemmas):
                    m |= self._bit[name]
            for name in PHRASE_LEXICONS:
                if self.phrases_from(name, lemmas):
                    m |= BIT["phrase_start"] | BIT[f"{name}:start"]
            self._masks[lemmas] = m
        return m

    def has(self, name: str, lemmas: frozenset[str]) -> bool:
        m = self._masks.get(lemmas)
        if m is None:
            m = self.mask(lemmas)
        return bool(m & self._bit[name])

    def phrases_from(self, name: str, lemmas: frozenset[str]) -> list[tuple[frozenset[str], ...]]:
        """Multi-word entries of lexicon ``name`` whose first word is one of ``lemmas``
        (longest first)."""
        index = self._starts.get(name)
        if index is None:
            index = {}
            for phrase in sorted(self.phrases.get(name, ()), key=len, reverse=True):
                for lemma in phrase[0]:
                    index.setdefault(lemma, []).append(phrase)
            self._starts[name] = index
        if not index:
            return []
        found: list = []
        for lemma in lemmas:
            found.extend(index.get(lemma, ()))
        return found

    def written(self, name: str, word: str) -> bool:
        """The word, as written, is in lexicon ``name`` (for «что» vs «чем»)."""
        return word in self.forms.get(name, frozenset())


LEARNED_KEYS = (
    "examples",
    "enabled",
    "add_when_silent",
    "add_when_coded",
    "add_when_coded_for",
    "add_when_named",
    "add_when_named_for",
    "categories",
)
# settings that give a category its own threshold
_OWN_THRESHOLDS = ("add_when_coded_for", "add_when_named_for")


@dataclass(frozen=True)
class LearnedSettings:
    """The codebook's ``learned`` section: the learned layer and the coded examples it is
    trained on (see :mod:`survey.coding.learned`).

    ``examples`` are CSVs (``id,text`` and one 0/1 column per category) of answers the
    study has coded, paths relative to the codebook (one path or a list: a new wave's coded
    answers are added beside the earlier ones). The layer adds a category the rules
    left out when its probability is at least ``add_when_silent`` in an answer where the
    rules coded nothing, or ``add_when_coded`` where they coded other categories; a category
    the rules named without deciding (a resource in a sentence with no cue) needs at least
    ``add_when_named``; only ``categories`` (default: all) are added. ``add_when_coded_for``
    gives some categories their own ``add_when_coded`` (a category the rules read poorly, such
    as descriptions of a culture, can be left more to the layer), and ``add_when_named_for``
    their own ``add_when_named``. ``enabled: false`` switches it off.
    """

    examples: tuple[Path, ...]
    enabled: bool = True
    add_when_silent: float = 0.4
    add_when_coded: float = 0.65
    add_when_named: float = 0.95
    categories: tuple[str, ...] = ()
    line: int | None = None
    add_when_coded_for: tuple[tuple[str, float], ...] = ()
    add_when_named_for: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        # a mapping given from Python ({"mentality": 0.7}) is kept as (category, value) pairs
        for name in _OWN_THRESHOLDS:
            pairs = getattr(self, name)
            items = pairs.items() if isinstance(pairs, Mapping) else pairs
            object.__setattr__(self, name, tuple((str(c), float(v)) for c, v in items))

    @cached_property
    def _own(self) -> dict[str, dict[str, float]]:
        """``add_when_coded_for`` and ``add_when_named_for`` as mappings (the first value of a
        category given twice)."""
        return {name: dict(reversed(getattr(self, name))) for name in _OWN_THRESHOLDS}

    def coded_threshold(self, category: str) -> float:
        """``add_when_coded`` for ``category`` (its own value in ``add_when_coded_for``, if any)."""
        return self._own["add_when_coded_for"].get(category, self.add_when_coded)

    def named_threshold(self, category: str) -> float:
        """``add_when_named`` for ``category`` (its own value in ``add_when_named_for``, if any)."""
        return self._own["add_when_named_for"].get(category, self.add_when_named)

    def threshold(self, category: str, silent: bool) -> float:
        """The probability at which the layer adds ``category``: ``add_when_silent`` in an answer
        where the rules found nothing, the category's ``add_when_coded`` otherwise."""
        return self.add_when_silent if silent else self.coded_threshold(category)


@dataclass(frozen=True)
class Codebook:
    categories: tuple[Category, ...]
    rules: Rules
    version: str = ""
    path: str = ""
    sha256: str = ""
    learned: LearnedSettings | None = None
    warnings: tuple[Problem, ...] = ()  # worth a look, not wrong: a likely misspelt pattern word…

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.categories]

    def category(self, cid: str) -> Category:
        for c in self.categories:
            if c.id == cid:
                return c
        raise KeyError(cid)

    @property
    def labels(self) -> dict[str, str]:
        return {c.id: c.label for c in self.categories}

    def for_question(self, qid: str) -> list[Category]:
        return [c for c in self.categories if not c.questions or qid in c.questions]

    @property
    def no_problems(self) -> Category | None:
        """The category of an answer that denies problems in general (``no_problems: true``)."""
        return next((c for c in self.categories if c.no_problems), None)

    @property
    def beside_no_problems(self) -> frozenset[str]:
        """The categories that may be coded beside it (its ``compatible_with``: «кроме пандемии,
        проблем нет»); none when the codebook has no such category."""
        no_problems = self.no_problems
        return frozenset(no_problems.compatible_with) if no_problems is not None else frozenset()


def word_lemmas(lem: Lemmatizer, word: str) -> frozenset[str]:
    """Lemmas a codebook word stands for: itself if it is a lemma, else all its lemmas."""
    w = fold(word)
    info = lem.info(w)
    return frozenset({w}) if w in info.lemmas else info.lemmas


def load_codebook(
    path: str | Path | None = None, lemmatizer: Lemmatizer | None = None, questionnaire=None, *, learned: bool = True
) -> Codebook:
    """Load, lemmatise and check the codebook (default ``questionnaires/codebook.yaml``).
    ``learned=False``: the learned layer is switched off (``--no-learned``), so its examples
    files are not looked for."""
    import hashlib

    path = Path(path) if path else default_path("codebook")
    data = load_yaml(path)
    lem = lemmatizer or Lemmatizer()
    problems: list[Problem] = []
    warnings: list[Problem] = []

    def bad(line: int | None, message: str, fix: str = "") -> None:
        problems.append(Problem(Location(str(path), line=line), Code.CODEBOOK, message, fix))

    def warn(line: int | None, code: Code, message: str, fix: str = "") -> None:
        warnings.append(Problem(Location(str(path), line=line), code, message, fix))

    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise ConfigError(f"{path}: в кодовой книге должен быть раздел categories со списком категорий.")
    for key in sorted(set(data) - {*TOP_KEYS, LINE_KEY}, key=str):
        near = difflib.get_close_matches(str(key), TOP_KEYS, n=1, cutoff=0.6)
        bad(
            key_line(path, key),
            f"неизвестный раздел «{key}» — его содержимое не было бы прочитано.",
            f"Возможно, имелся в виду раздел «{near[0]}»: исправьте название."
            if near
            else f"Допустимые разделы: {', '.join(TOP_KEYS)}.",
        )
    given_rules = data.get("rules") or {}
    if not isinstance(given_rules, dict):
        bad(key_line(path, "rules"), "rules: должен быть раздел со списками слов (negators: […], …).")
        given_rules = {}
    rules = _parse_rules(_with_default_rules(path, given_rules), lem, bad, warn)
    categories: list[Category] = []
    seen: dict[str, int | None] = {}
    for raw in data["categories"]:
        if not isinstance(raw, dict):
            bad(None, f"категория должна быть описанием (id, label, terms…), а не «{raw}».")
            continue
        line = raw.get(LINE_KEY)
        cid = raw.get("id")
        if not isinstance(cid, str) or not _ID.match(cid):
            bad(
                line,
                f"у категории нет id или он недопустим («{cid}»).",
                "id: латинские строчные буквы, цифры и _.",
            )
            continue
        if cid in seen:
            bad(line, f"категория «{cid}» повторяется (первый раз — строка {seen[cid]}).")
            continue
        seen[cid] = line
        for key in sorted(set(raw) - _CATEGORY_KEYS):
            bad(
                line,
                f"категория «{cid}»: неизвестный ключ «{key}».",
                f"Допустимые ключи: {', '.join(sorted(_CATEGORY_KEYS - {LINE_KEY}))}.",
            )
        if not str(raw.get("label") or "").strip():
            bad(line, f"категория «{cid}»: нет названия (label).")
        questions = _names(raw, "questions", cid, line, bad)
        if questionnaire is not None:
            _check_questions(cid, questions, questionnaire, line, bad)
        patterns: list[Pattern] = []
        seen_patterns: dict[tuple, tuple[str, int | None]] = {}
        for kind in PATTERN_KINDS:
            items = raw.get(kind) or []
            if not isinstance(items, list):
                bad(line, f"категория «{cid}»: {kind} должен быть списком шаблонов.")
                continue
            for item, at in zip(items, item_lines(items, line)):
                text = _item_text(item, f"категория «{cid}», {kind}", at, bad)
                if text is None:
                    continue
                pattern = _parse_pattern(text, cid, kind, at, lem, bad, warn)
                if pattern is None:
                    continue
                key = (kind, tuple((w.lemmas, w.prefix, w.exact, w.gap) for w in pattern.words))
                if key in seen_patterns:
                    first, first_line = seen_patterns[key]
                    bad(
                        at,
                        f"категория «{cid}»: шаблон «{text}» повторяет «{first}» ({kind}, строка {first_line}).",
                        "Удалите повтор.",
                    )
                    continue
                seen_patterns[key] = (text, at)
                patterns.append(pattern)
                for word, known in _misspelt(text, lem):
                    warn(
                        at,
                        Code.PATTERN_UNKNOWN_WORD,
                        f"категория «{cid}»: в шаблоне «{text}» слово «{word}» неизвестно словарю pymorphy3; "
                        f"возможно, «{known}».",
                        "Если это опечатка, исправьте её: шаблон с ней ничего не кодирует. Редкое слово, "
                        "которое так и пишется, оставьте как есть.",
                    )
        if not any(p.kind != "exclude" for p in patterns):
            bad(line, f"категория «{cid}»: нет ни одного шаблона (terms, needs или needs_strict).")
        categories.append(
            Category(
                id=cid,
                label=str(raw.get("label") or cid).strip(),
                description=" ".join(str(raw.get("description") or "").split()),
                questions=questions,
                patterns=tuple(patterns),
                no_problems=_flag(raw, "no_problems", cid, line, bad),
                compatible_with=_names(raw, "compatible_with", cid, line, bad),
                line=line,
            )
        )
    ids = {c.id for c in categories}
    for c in categories:
        for other in c.compatible_with:
            if other not in ids:
                bad(c.line, f"категория «{c.id}»: в compatible_with неизвестная категория «{other}».")
    if sum(c.no_problems for c in categories) > 1:
        bad(None, "категория «проблем нет» (no_problems: true) может быть только одна.")
    if questionnaire is not None:
        for f in questionnaire.coded_questions:
            for c in categories:
                made_of = "id вопроса + «_» + id категории"
                if (not c.questions or f.id in c.questions) and (wrong := too_long_name(f"{f.id}_{c.id}", made_of)):
                    bad(c.line, f"категория «{c.id}»: {wrong}.", "Сократите id категории или id вопроса.")
            if not any(not c.questions or f.id in c.questions for c in categories):
                warn(
                    None,
                    Code.QUESTION_NO_CATEGORIES,
                    f"вопрос «{f.id}» отмечен в анкете coded: true (строка {f.line}), но ни одна категория его не "
                    "кодирует (у каждой в questions: другие вопросы): все его коды будут 0.",
                    f"Добавьте «{f.id}» в questions: нужных категорий.",
                )
    settings = _parse_learned(data.get("learned"), path, ids, bad, learned) if "learned" in data else None
    if problems:
        raise ConfigError(
            f"{path}: кодовая книга содержит ошибки ({len(problems)}):\n" + bulleted(problems),
            problems=problems,
        )
    return Codebook(
        categories=tuple(categories),
        rules=rules,
        version=str(data.get("version", "")),
        path=str(path),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        learned=settings if learned or settings is None else replace(settings, enabled=False),
        warnings=tuple(warnings),
    )


_VOWEL_SLIPS = {"а": "о", "о": "а", "е": "ия", "и": "е", "я": "е"}  # unstressed vowels written for each other


def _misspelt(text: str, lem: Lemmatizer) -> list[tuple[str, str]]:
    """(word, known word) for each word of a pattern pymorphy3 does not know but would know with one
    slip: a letter left out, doubled or added, two letters swapped, an unstressed vowel confused
    («безопастность» → «безопасность»). A rare word without such a neighbour («синофобия»,
    «погранпереход») is taken as meant; neither the first letter nor the ending is changed."""
    found = []
    for part in text.split():
        if part.startswith(("=", "~")) or part.endswith("*"):
            continue
        for token in lem.tokens(part):
            word = token.lower
            if not token.is_word or token.info.known or len(word) < 5 or not re.fullmatch(r"[а-яё]+", word):
                continue
            stem = len(word) - 2
            variants = set()
            for i in range(1, stem):  # the first letter is rarely the slip («ковид» is not «эковид»)
                variants.add(word[:i] + word[i + 1 :])
                variants.update(word[:i] + ch + word[i:] for ch in "абвгдежзийклмнопрстуфхцчшщъыьэюя")
                variants.update(word[:i] + ch + word[i + 1 :] for ch in _VOWEL_SLIPS.get(word[i], ""))
                if i + 1 < stem:
                    variants.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
            known = sorted(v for v in variants if morph_analyzer().word_is_known(v))
            if len(known) == 1:
                found.append((word, known[0]))
    return found


def _names(raw: dict[str, Any], key: str, cid: str, line: int | None, bad) -> tuple[str, ...]:
    """A category's list of ids (``questions``, ``compatible_with``); one id written without
    brackets (``questions: q3_problems``) is a list of one, not of its letters."""
    value = raw.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list) and all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        return tuple(str(v).strip() for v in value)
    bad(line, f"категория «{cid}»: {key} должен быть списком id, а не «{_shown(value)}».", f"Пример: {key}: [id1, id2]")
    return ()


def _flag(raw: dict[str, Any], key: str, cid: str, line: int | None, bad) -> bool:
    """A yes/no key of a category: ``true`` or ``false`` only («нет» would read as true)."""
    value = raw.get(key, False)
    if value is None or isinstance(value, bool):
        return bool(value)
    bad(
        line,
        f"категория «{cid}»: {key} — ожидается true или false, а не «{_shown(value)}».",
        f"Напишите {key}: true или удалите строку.",
    )
    return False


def _shown(value: Any) -> str:
    """A YAML value as the user wrote it, roughly: «ключ: значение» for a mapping, without the
    line bookkeeping."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items() if k != LINE_KEY)
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return str(value)


def _item_text(item: Any, where: str, at: int | None, bad) -> str | None:
    """The text of one pattern or rule word, or None (reported) when YAML read it as something
    else: a colon made it a mapping, brackets a list, an empty item nothing, ``no`` a boolean."""
    if isinstance(item, str) or (isinstance(item, int | float) and not isinstance(item, bool)):
        return str(item)
    if isinstance(item, dict):
        written = _shown(item)
        bad(
            at,
            f"{where}: «{written}» прочитано как пара «ключ: значение» — в записи двоеточие.",
            f'Заключите запись в кавычки: - "{written}" (или уберите двоеточие).',
        )
    elif isinstance(item, list):
        bad(at, f"{where}: «{_shown(item)}» — список внутри списка.", "Каждый вариант — отдельный элемент: - слово")
    elif item is None:
        bad(at, f"{where}: пустой элемент списка («-» без текста).", "Удалите строку или впишите слово.")
    else:
        bad(at, f"{where}: «{item}» прочитано как логическое значение.", f'Заключите запись в кавычки: - "{item}"')
    return None


def _lookalikes(text: str, where: str, at: int | None, warn) -> str:
    """``text`` with Latin look-alike letters inside Russian words made Cyrillic (as answers are
    read), and a warning naming the words when there were any: such a slip is invisible on screen."""
    words = text.split(" ")
    fixed = [as_cyrillic(w) for w in words]
    changed = [w for w, f in zip(words, fixed) if w != f]
    if changed:
        warn(
            at,
            Code.PATTERN_LOOKALIKE,
            f"{where}: в «{text}» латинские буквы внутри русских слов ({listed(f'«{w}»' for w in changed)}); "
            "они прочитаны как русские.",
            "Перепечатайте эти слова в русской раскладке.",
        )
    return " ".join(fixed)


def _check_questions(cid: str, questions: tuple, questionnaire, line: int | None, bad) -> None:
    """A category's ``questions`` must name coded open questions of the questionnaire: a question
    without ``coded: true`` is never coded, so the category would stay at 0 % with no word."""
    coded = [f.id for f in questionnaire.coded_questions]
    for qid in questions:
        if qid not in questionnaire:
            near = difflib.get_close_matches(str(qid), [f.id for f in questionnaire.fields], n=1, cutoff=0.6)
            bad(line, f"категория «{cid}»: вопроса «{qid}» нет в анкете.", f"Возможно, «{near[0]}»." if near else "")
        elif qid not in coded:
            field = questionnaire.field(qid)
            at = f" (строка {field.line})" if field.line else ""
            bad(
                line,
                f"категория «{cid}»: вопрос «{qid}» не отмечен в анкете coded: true — его ответы не кодируются, "
                "и категория осталась бы пустой.",
                (
                    f"Добавьте coded: true к вопросу «{qid}» в анкете{at}"
                    + (f" или укажите в questions: кодируемый вопрос ({listed(coded)})." if coded else ".")
                )
                if field.type == "text"
                else f"Это вопрос типа {field.type}, его не кодируют; укажите в questions: "
                + (f"кодируемый вопрос ({listed(coded)})." if coded else "открытый вопрос с coded: true."),
            )


def _probability(value: Any) -> bool:
    """A number in (0, 1] as the codebook writes a threshold (not ``true``, not a string)."""
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 < value <= 1


def _parse_learned(raw: Any, path: Path, ids: set[str], bad, used: bool = True) -> LearnedSettings | None:
    """The ``learned`` section, checked: keys, the examples files (when the layer is ``used``),
    thresholds, categories."""
    if not isinstance(raw, dict):
        bad(None, "learned: должен быть раздел с ключами (examples, enabled, …).")
        return None
    line = raw.get(LINE_KEY)
    for key in sorted(set(raw) - set(LEARNED_KEYS) - {LINE_KEY}):
        bad(line, f"learned: неизвестный ключ «{key}».", f"Допустимые ключи: {', '.join(LEARNED_KEYS)}.")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        bad(line, f"learned.enabled: ожидается true или false, а не «{enabled}».")
        enabled = True
    examples = raw.get("examples")
    if examples is None and not enabled:  # switched off: a new study has no coded examples yet
        return LearnedSettings(examples=(), enabled=False, line=line)
    given = examples if isinstance(examples, list) else [examples]
    names = [n for n in given if isinstance(n, str) and n.strip()]
    if not names or len(names) != len(given):
        bad(
            line,
            "learned: не указан файл с закодированными примерами (examples).",
            "Пример: examples: coded.csv или examples: [wave1.csv, wave2.csv]; пока закодированных примеров "
            "нет, напишите enabled: false или удалите раздел learned.",
        )
        return None
    targets = tuple((path.parent / n).resolve() for n in names)
    missing = [(name, target) for name, target in zip(names, targets) if not target.is_file()]
    if enabled and used and missing:
        folders = sorted({str(t.parent) for _, t in missing})
        bad(
            line,
            f"learned.examples: не найдены файлы с закодированными примерами ({len(missing)}): "
            f"{listed([f'«{n}»' for n, _ in missing], 5)} (искали в {listed(folders, 3)}).",
            "Укажите пути к CSV относительно кодовой книги, поставьте enabled: false или запустите с --no-learned.",
        )
    thresholds = {}
    for key, default in (("add_when_silent", 0.4), ("add_when_coded", 0.65), ("add_when_named", 0.95)):
        value = raw.get(key, default)
        if not _probability(value):
            bad(line, f"learned.{key}: ожидается число от 0 до 1 (вероятность), а не «{value}».")
            value = default
        thresholds[key] = float(value)
    per_category = {key: _thresholds_for(raw, key, ids, line, bad) for key in _OWN_THRESHOLDS}
    categories = raw.get("categories") or []
    if not isinstance(categories, list):
        bad(line, "learned.categories: должен быть список категорий.")
        categories = []
    for cid, at in zip(categories, item_lines(categories, line)):
        if cid not in ids:
            near = difflib.get_close_matches(str(cid), sorted(ids), n=1, cutoff=0.6)
            bad(at, f"learned.categories: неизвестная категория «{cid}».", f"Возможно, «{near[0]}»." if near else "")
    return LearnedSettings(
        examples=targets,
        enabled=enabled,
        add_when_silent=thresholds["add_when_silent"],
        add_when_coded=thresholds["add_when_coded"],
        add_when_named=thresholds["add_when_named"],
        categories=tuple(str(c) for c in categories if c in ids),
        line=line,
        add_when_coded_for=per_category["add_when_coded_for"],
        add_when_named_for=per_category["add_when_named_for"],
    )


def _thresholds_for(
    raw: dict[str, Any], key: str, ids: set[str], line: int | None, bad
) -> tuple[tuple[str, float], ...]:
    """A ``learned`` mapping of categories to their own threshold (``add_when_coded_for``,
    ``add_when_named_for``), each entry checked."""
    given = raw.get(key)
    if given is None:
        return ()
    if not isinstance(given, dict):
        bad(line, f"learned.{key}: ожидаются пары «категория: порог».", f"Пример: {key}: {{mentality: 0.7}}")
        return ()
    out = []
    at = given.get(LINE_KEY, line)  # the line of the mapping itself, when known
    for cid, value in given.items():
        if cid == LINE_KEY:
            continue
        if cid not in ids:
            bad(at, f"learned.{key}: неизвестная категория «{cid}».")
        elif not _probability(value):
            bad(at, f"learned.{key}.{cid}: ожидается число от 0 до 1 (вероятность), а не «{value}».")
        else:
            out.append((str(cid), float(value)))
    return tuple(out)


def _with_default_rules(path: Path, raw: dict[str, Any]) -> dict[str, Any]:
    """Rule lists a codebook does not define come from the bundled codebook's ``rules``,
    so a new codebook needs only its categories (an explicitly empty list stays empty)."""
    missing = [k for k in RULE_KEYS if k not in raw]
    if not missing:
        return raw
    try:
        default = default_path("codebook")
    except ConfigError:
        return raw
    if default.resolve() == path.resolve():
        return raw
    base = load_yaml(default).get("rules") or {}
    merged = dict(raw)
    for key in missing:
        if key in base:
            merged[key] = base[key]
    return merged


def _pattern_syntax(part: str) -> str | None:
    """What is wrong with one word of a pattern written as if it were something else (a regular
    expression, a list, a gap with a letter), or None; without this check the stray signs would
    be dropped and the letters left matched as words («[abc» coding «abc»)."""
    if part.startswith("~"):
        return f"после «~» может стоять только число (~ или ~3), а не «{part}»"
    body = part[1:] if part.startswith("=") else part
    body = body[:-1] if body.endswith("*") else body
    if "*" in body:
        return f"«*» ставится только в конце слова (ковид*), а не «{part}»"
    if any(ch in body for ch in ",;"):
        return "запятая или точка с запятой внутри шаблона: каждый вариант — отдельный элемент списка"
    signs = sorted({ch for ch in body if ch in "[](){}|?+^$\\~<>"})
    if signs:
        what = f"знак «{signs[0]}»" if len(signs) == 1 else f"знаки {' '.join(signs)}"
        what += " не поддерживается" if len(signs) == 1 else " не поддерживаются"
        return (
            f"{what}: шаблон — не регулярное выражение, а слова (каждое в любой форме), «слово*» — начало слова, "
            "«=слово» — точная форма, «~» или «~3» — слова между"
        )
    return None


def _parse_pattern(text: str, cid: str, kind: str, line: int | None, lem: Lemmatizer, bad, warn=None) -> Pattern | None:
    read = _lookalikes(text, f"категория «{cid}», {kind}", line, warn) if warn else text
    parts = read.split()
    words: list[PatternWord] = []
    gap = 0
    for i, part in enumerate(parts):
        m = _GAP.match(part)
        wrong = None if m else _pattern_syntax(part)
        if wrong:
            bad(line, f"категория «{cid}»: шаблон «{text}»: {wrong}.")
            return None
        if m:
            if not words or i == len(parts) - 1:
                bad(line, f"категория «{cid}»: в шаблоне «{text}» знак «~» должен стоять между словами.")
                return None
            gap = int(m.group(1)) if m.group(1) else DEFAULT_GAP
            continue
        if part.startswith("=") and len(part) > 1:
            words.append(PatternWord(exact=fold(part[1:]), gap=gap))
        elif part.endswith("*"):
            prefix = fold(part[:-1])
            if len(prefix) < 3:
                bad(
                    line,
                    f"категория «{cid}»: шаблон «{text}»: начало слова перед «*» короче 3 букв.",
                    "Так совпадёт слишком много слов; удлините начало.",
                )
                return None
            words.append(PatternWord(prefix=prefix, gap=gap))
        else:
            tokens = [t for t in lem.tokens(part) if t.is_word]
            if not tokens:
                # «санкции - санкция - виза»: list items YAML folded into one text because the
                # first «- » stands left of the others
                merged = part == "-" and " - " in text
                bad(
                    line,
                    f"категория «{cid}»: шаблон «{text}»: «{part}» не даёт ни одной леммы.",
                    "Похоже, строки списка слились в одну: у элементов списка «- » разный отступ. Выровняйте "
                    "их (каждый «- » с одинаковым числом пробелов)."
                    if merged
                    else "Используйте буквы или цифры.",
                )
                return None
            for j, tok in enumerate(tokens):
                words.append(PatternWord(lemmas=word_lemmas(lem, tok.text), gap=gap if j == 0 else 0))
        gap = 0
    if not words:
        bad(line, f"категория «{cid}»: пустой шаблон в разделе {kind}.")
        return None
    if len(words) == 1 and words[0].lemmas and (pos := _FUNCTION_POS.get(lem.info(fold(parts[0])).pos or "")):
        bad(
            line,
            f"категория «{cid}»: шаблон «{text}» — одно служебное слово ({pos}); оно есть почти в каждом ответе.",
            "Добавьте к нему значимое слово (например, «нехватка ~ кадр») или удалите шаблон.",
        )
        return None
    return Pattern(text=text, words=tuple(words), category=cid, kind=kind, line=line)


def _parse_rules(raw: dict[str, Any], lem: Lemmatizer, bad, warn) -> Rules:
    rules = Rules()
    line = raw.get(LINE_KEY) if isinstance(raw, dict) else None
    for key in sorted(set(raw) - set(RULE_KEYS) - {LINE_KEY}):
        bad(line, f"rules: неизвестный список «{key}».", f"Допустимые: {', '.join(RULE_KEYS)}.")
    for key in RULE_KEYS:
        items = raw.get(key) or []
        if not isinstance(items, list):
            bad(line, f"rules: «{key}» должен быть списком слов.")
            continue
        singles: set[str] = set()
        phrases: list[tuple[frozenset[str], ...]] = []
        forms: set[str] = set()
        for item, at in zip(items, item_lines(items, line)):
            text = _item_text(item, f"rules.{key}", at, bad)
            if text is None:
                continue
            text = _lookalikes(text, f"rules.{key}", at, warn)
            words = [t for t in lem.tokens(text) if t.is_word]
            if not words:
                bad(at, f"rules.{key}: «{item}» не даёт ни одной леммы.")
                continue
            forms.add(fold(text))
            if len(words) == 1:
                singles |= word_lemmas(lem, words[0].text)
            elif key in PHRASE_LEXICONS:
                phrases.append(tuple(word_lemmas(lem, w.text) for w in words))
            else:
                warn(
                    at,
                    Code.RULE_PHRASE_IGNORED,
                    f"rules.{key}: «{text}» — из нескольких слов, а этот список читается по одному слову: "
                    "запись не действует.",
                    "Оставьте одно слово или удалите запись (словосочетания понимают, например, списки "
                    f"{listed(PHRASE_LEXICONS, 4)}).",
                )
        rules.words[key] = frozenset(singles)
        rules.forms[key] = frozenset(forms)
        rules.phrases[key] = tuple(phrases)
    return rules
