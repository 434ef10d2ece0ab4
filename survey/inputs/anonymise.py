"""What default outputs may show of the responses: no personal columns, and person names in the
open answers masked «[ФИО]» (:mod:`survey.inputs.names`), with the words a study knows are not
names (its codebook's words, its units' names, its ``not_names`` list) left alone."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from survey.inputs.names import mask_names
from survey.spec.codebook import Codebook, load_codebook
from survey.spec.questionnaire import Questionnaire
from survey.spec.study import Study


def anonymise(data: pd.DataFrame, questionnaire: Questionnaire, protect: Iterable[str] = ()) -> pd.DataFrame:
    """What every default output contains: no personal columns (expert names), and person names
    in the open answers masked «[ФИО]» (:func:`survey.inputs.names.mask_names`; each distinct
    text is read once; ``protect``: words that are never names, such as the codebook's words and
    the units' names). ``attrs["names_masked"]`` counts the answers where a name was masked."""
    out = data.drop(columns=[c for c in questionnaire.personal_columns if c in data.columns])
    masked = 0
    for f in questionnaire.fields:
        if f.type != "text" or f.personal or f.id not in out.columns or f.id == "expert_id":
            continue
        texts = out[f.id]
        present = texts.dropna().astype(str)
        unique = list(dict.fromkeys(present))
        if not unique:
            continue
        found = dict(zip(unique, mask_names(unique, protect)))
        out[f.id] = texts.map(lambda t, found=found: found[str(t)].masked if isinstance(t, str) else t)
        masked += int(sum(bool(found[t].spans) for t in present))
    out.attrs["names_masked"] = masked
    return out


def not_names(codebook: Codebook | None, units: pd.DataFrame, study: Study | None = None) -> set[str]:
    """Words that are never person names in a study's answers: the codebook's words (lemmas),
    the words of the units' names and the study's own list (``files: not_names``)."""
    words = set(study.not_names()) if study is not None else set()
    categories = codebook.categories if codebook is not None else ()
    words |= {lemma for cat in categories for p in cat.patterns for w in p.words for lemma in w.lemmas}
    words |= {f"{w.prefix}*" for cat in categories for p in cat.patterns for w in p.words if w.prefix}
    for name in units["name"]:
        words.update(w.lower() for w in str(name).replace("-", " ").split())
    return words


def study_not_names(study: Study | None, questionnaire: Questionnaire, units: pd.DataFrame) -> set[str]:
    """:func:`not_names` for a command that may run without a codebook (ingest, kwic): the study's
    codebook when it has one."""
    path = study.file("codebook") if study is not None else None
    codebook = load_codebook(path, questionnaire=questionnaire) if path is not None and path.is_file() else None
    return not_names(codebook, units, study)
