"""Does a dependency parse decide negation scope better than the clause rules? natasha's
slovnet syntax model (shipped in the natasha wheel with the navec vectors) parses every
answer; the parse then checks the rules' negations, two ways:

* **veto**: a category the rules denied is coded after all when the parse puts its words
  outside the subtree of what the negation attaches to («не» → the word it modifies; «нет»
  and a resolution or problem verb → that word itself);
* **extend**: a category the rules coded is denied when its words lie inside the subtree of a
  negated problem word or verb («не мешает», «проблем нет») that the clause rules did not
  reach.

Scored against the gold of every gold-coded set (the corpus's development part, its three
test waves, the sample and the held-out answers), rules alone, so that the learned layer does
not blur the comparison.

    python bench/syntax_experiment.py

Measured 2026-11-30 (README «The learned layer»), micro-F1, rules alone → with the veto / with
the extension: development part 0.845 → 0.843 / 0.844, test 0.776 → 0.775 / 0.773, wave 2
0.813 → 0.813 / 0.810, wave 3 0.791 → 0.791 / 0.791, sample 0.996 → 0.993 / 0.990, held-out
0.994 → 0.989 / 0.986. The parse and the clause rules disagree on a handful of answers (1–4 per
set), and there the rules are right more often: not kept. About 2 ms per sentence.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from natasha import Doc, NewsEmbedding, NewsSyntaxParser, Segmenter  # noqa: E402

from bench.coding_quality import f1_table, gold_set  # noqa: E402
from survey.base.lemmatize import Lemmatizer  # noqa: E402
from survey.coding.coder import Coder  # noqa: E402
from survey.spec.codebook import load_codebook  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus"
CUE = re.compile(r"отрицание «([^»]+)»")
NEGATORS = {"не", "ни"}
PREDICATES = {"VERB", "INFN", "PRED", "ADJS", "PRTS"}


class Parse:
    """One answer's dependency parse: per token its character span and its parent."""

    def __init__(self, text: str, segmenter: Segmenter, parser: NewsSyntaxParser, lemmatizer: Lemmatizer):
        doc = Doc(text)
        doc.segment(segmenter)
        doc.parse_syntax(parser)
        self.tokens = doc.tokens
        self.index = {t.id: i for i, t in enumerate(doc.tokens)}
        self.parent = [self.index.get(t.head_id) for t in doc.tokens]
        self.rel = [t.rel for t in doc.tokens]
        self.predicate = [
            t.text.lower() in ("нет", "нету") or lemmatizer.info(t.text.lower()).pos in PREDICATES for t in doc.tokens
        ]

    def at(self, start: int, end: int) -> list[int]:
        """Tokens overlapping the characters ``start:end``."""
        return [i for i, t in enumerate(self.tokens) if t.start < end and start < t.stop]

    def find(self, word: str, near: int) -> int | None:
        """The token spelled ``word`` closest to character ``near``."""
        hits = [i for i, t in enumerate(self.tokens) if t.text.lower() == word.lower()]
        return min(hits, key=lambda i: abs(self.tokens[i].start - near)) if hits else None

    def inside(self, i: int, head: int) -> bool:
        """Token ``i`` is ``head`` or lies in its subtree, not counting coordinated or
        loosely attached clauses (``conj`` of a predicate, ``parataxis``): in «проблем нет, но
        не хватает переводчиков» the second clause hangs under «нет» as a conjunct, while in
        «с логистикой, языком и расчётами вопросов не возникает» the conjoined nouns stay."""
        seen = set()
        while i is not None and i not in seen:
            if i == head:
                return True
            if self.rel[i] == "parataxis" or (self.rel[i] == "conj" and self.predicate[i]):
                return False
            seen.add(i)
            i = self.parent[i]
        return False

    def scope_head(self, cue: int) -> int:
        """What a negation cue covers: «не»/«ни» the word it modifies, otherwise the cue itself."""
        if self.tokens[cue].text.lower() in NEGATORS and self.parent[cue] is not None:
            return self.parent[cue]
        return cue


def veto(coding, parse: Parse) -> set[str]:
    """Categories the rules denied whose words the parse puts outside the negation's subtree."""
    out = set()
    for d in coding.denials:
        m = CUE.search(d.reason)
        if not d.category or not m:
            continue
        cue = parse.find(m.group(1).split()[0], d.start)
        words = parse.at(d.start, d.end)
        if cue is None or not words:
            continue
        head = parse.scope_head(cue)
        if not any(parse.inside(w, head) for w in words):
            out.add(d.category)
    return out


def extend(coding, parse: Parse, problem: set[str], lemmatizer: Lemmatizer, no_problems: str) -> set[str]:
    """Categories the rules coded whose words lie under a negated problem word or verb
    (``problem``: their lemmas)."""

    def _lemma(word: str) -> str:
        return lemmatizer.info(word.lower()).lemma

    heads = []
    for i, t in enumerate(parse.tokens):
        if t.text.lower() in NEGATORS and parse.parent[i] is not None:
            h = parse.parent[i]
            if _lemma(parse.tokens[h].text) in problem:
                heads.append(h)
        elif t.text.lower() in ("нет", "нету"):
            kids = [k for k, p in enumerate(parse.parent) if p == i]
            if any(_lemma(parse.tokens[k].text) in problem for k in kids):
                heads.append(i)
    out = set()
    for e in coding.evidence:
        if e.category == no_problems or "исключение" in e.reason:
            continue  # the denial itself («проблем нет»), and «кроме X» named as the exception
        words = parse.at(e.start, e.end)
        if words and heads and all(any(parse.inside(w, h) for h in heads) for w in words):
            out.add(e.category)
    return out


def main() -> None:
    codebook = load_codebook()
    cats = codebook.ids
    coder = Coder(codebook, learned=False)
    emb = NewsEmbedding()
    segmenter, parser = Segmenter(), NewsSyntaxParser(emb)
    problem = set(codebook.rules.words["problem_words"]) | set(codebook.rules.words["problem_verbs"])
    no_problems = next((c.id for c in codebook.categories if c.no_problems), "")
    print("| set | rules alone | + veto | + extend | + both | answers changed (veto / extend) |")
    print("| --- | --- | --- | --- | --- | --- |")
    started = time.perf_counter()
    for name in ("dev", "test", "test2", "test3", "sample", "heldout"):
        texts, gold = gold_set(name, cats)
        base, vetoed, extended, both = [], [], [], []
        nv = ne = 0
        for text in texts:
            c = coder.code(text)
            row = [c.codes[k] for k in cats]
            parse = Parse(str(text), segmenter, parser, coder.lemmatizer)
            v, e = veto(c, parse), extend(c, parse, problem, coder.lemmatizer, no_problems)
            nv += bool(v)
            ne += bool(e)
            rv = [1 if k in v else x for k, x in zip(cats, row)]
            re_ = [0 if k in e else x for k, x in zip(cats, row)]
            rb = [0 if k in e else (1 if k in v else x) for k, x in zip(cats, row)]
            base.append(row), vetoed.append(rv), extended.append(re_), both.append(rb)
        scores = [f1_table(gold, np.array(p), cats)["micro"] for p in (base, vetoed, extended, both)]
        print(f"| {name} ({len(texts)}) | " + " | ".join(f"{s:.3f}" for s in scores) + f" | {nv} / {ne} |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
