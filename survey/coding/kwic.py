"""Inspection tools: keyword in context, and the words pymorphy3 does not know.

>>> import pandas as pd
>>> answers = pd.DataFrame({"expert_id": ["E1"], "answer": ["Главное — нет прямых рейсов до Харбина."]})
>>> kwic(answers, "рейс", width=12)[["expert_id", "left", "match", "right"]].values.tolist()
[['E1', 'нет прямых ', 'рейсов', ' до Харбина.']]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from survey.base.lemmatize import Lemmatizer
from survey.base.text import fold
from survey.coding.coder import Coder
from survey.errors import InputError
from survey.inputs.anonymise import anonymise, not_names
from survey.inputs.validate import validate
from survey.spec.bundle import open_study
from survey.spec.codebook import load_codebook
from survey.spec.study import Study


def kwic(
    answers: pd.DataFrame,
    query: str,
    coder: Coder | None = None,
    *,
    width: int = 40,
    id_column: str = "expert_id",
    text_column: str = "answer",
) -> pd.DataFrame:
    """Keyword in context for a word (any form), a prefix (``ковид*``), a phrase of such words
    in a row (``большое расстояние``, punctuation between them aside) or a category id.

        For a category, the lines show the evidence the coder used (and, marked, the places
        where the answer denies it). Columns: ``expert_id, left, match, right, category, note``.
    """
    rows = []
    query = query.strip()
    if all(not w.rstrip("*") for w in query.split()):
        raise InputError(
            f"запрос «{query}» пуст: укажите слово (переводчик), начало слова со звёздочкой (ковид*) или "
            "код категории (funding)."
        )
    if query and not any(ch.isalnum() for ch in query):
        raise InputError(
            f"в запросе «{query}» нет ни букв, ни цифр: поиск идёт по словам ответов (знаки и эмодзи не ищутся)."
        )
    if coder is not None and query in coder.ids:
        for rid, text in zip(answers[id_column], answers[text_column]):
            if not isinstance(text, str):
                continue
            c = coder.code(text)
            for e in c.evidence:
                if e.category == query:
                    rows.append(_line(rid, text, e.start, e.end, width, query, e.reason))
            for d in c.denials:
                if d.category == query:
                    rows.append(_line(rid, text, d.start, d.end, width, query, "отрицание: не кодируется"))
    else:
        lem = coder.lemmatizer if coder is not None else Lemmatizer()
        # each word of the query: a prefix («ковид*») or the lemmas of its forms; a phrase
        # («большое расстояние») matches its words in a row, each in any form
        parts = [
            (fold(w[:-1]), frozenset()) if w.endswith("*") else (None, lem.info(fold(w)).lemmas) for w in query.split()
        ]

        def hit(t, prefix: str | None, wanted: frozenset[str]) -> bool:
            if prefix is not None:
                return t.lower.startswith(prefix) or t.lemma.startswith(prefix)
            return not wanted.isdisjoint(t.info.lemmas)

        for rid, text in zip(answers[id_column], answers[text_column]):
            if not isinstance(text, str):
                continue
            words = [t for t in lem.tokens(text) if t.is_word]
            for i in range(len(words) - len(parts) + 1):
                if all(hit(words[i + k], *part) for k, part in enumerate(parts)):
                    rows.append(_line(rid, text, words[i].start, words[i + len(parts) - 1].end, width, "", ""))
    return pd.DataFrame(rows, columns=["expert_id", "left", "match", "right", "category", "note"])


def _line(rid, text: str, start: int, end: int, width: int, category: str, note: str) -> dict:
    flat = text.replace("\n", " ")
    return {  # the text around the match as written: a space beside it is kept, none is added
        "expert_id": rid,
        "left": flat[max(0, start - width) : start].lstrip(),
        "match": flat[start:end],
        "right": flat[end : end + width].rstrip(),
        "category": category,
        "note": note,
    }


def format_kwic(lines: pd.DataFrame, width: int = 40) -> str:
    """Aligned plain-text lines: ``E012  …left [MATCH] right…``."""
    out = []
    id_width = max([len(str(x)) for x in lines["expert_id"]] + [4])
    for r in lines.itertuples():
        note = f"   ({r.note})" if r.note else ""
        out.append(f"{str(r.expert_id):<{id_width}}  {r.left:>{width}}[{r.match}]{r.right}{note}")
    return "\n".join(out)


def unknown_words(coder: Coder) -> pd.DataFrame:
    """Words pymorphy3 does not know, most frequent first, with the codebook word a typo
    was matched to. Columns: ``word, count, typo_of``."""
    rows = [{"word": w, "count": n, "typo_of": coder.typo_of(w) or ""} for w, n in coder.unknown_.most_common()]
    return pd.DataFrame(rows, columns=["word", "count", "typo_of"])


def kwic_responses(
    query: str,
    responses: str | Path | None = None,
    *,
    study: str | Path | Study | None = None,
    questionnaire: str | Path | None = None,
    units: str | Path | None = None,
    codebook: str | Path | None = None,
    width: int = 40,
    encoding: str | None = None,
    with_names: bool = False,
) -> pd.DataFrame:
    """:func:`kwic` over the coded open answers of a response file (default: the study's responses);
    person names masked «[ФИО]» as in every default output unless ``with_names``."""
    bundle = open_study(study, questionnaire=questionnaire, units=units, codebook=codebook, responses=responses)
    q = bundle.questionnaire
    result = validate(bundle.path("responses"), q, bundle.units, encoding=encoding)
    if result.data.empty:  # «не встречается» would hide that nothing was read
        raise InputError(
            f"нет ни одной принятой анкеты — искать не в чем.\n{result.report.first_errors(3)}\n"
            "Подробно: survey validate."
        )
    cb = load_codebook(bundle.path("codebook"), questionnaire=q)
    coder = Coder(cb)
    data = result.data if with_names else anonymise(result.data, q, not_names(cb, bundle.units, bundle.study))
    frames = [data[["expert_id", f.id]].rename(columns={f.id: "answer"}) for f in q.coded_questions]
    answers = pd.concat(frames) if frames else pd.DataFrame(columns=["expert_id", "answer"])
    lines = kwic(answers, query, coder, width=width)
    # the answers of rejected questionnaires are not searched: said, so that «не встречается» is not taken
    # for the whole file
    lines.attrs["summary"] = result.report.summary() if result.report.rejected else ""
    lines.attrs["first_errors"] = result.report.first_errors(3) if result.report.rejected else ""
    return lines
