"""Interview transcripts pasted into one answer: the interviewer's turns are not the answer.

A cell may hold the whole exchange on a question («— Инт.: А с переводчиками как? — Респ.:
Нормально, свои китаисты»). The interviewer's questions name topics the respondent then
confirms or denies, so they are blanked before coding; the respondent's turn markers are
blanked too, so that «— Респ.: Никаких.» opens the respondent's answer as «Никаких.» would.
A question the respondent's reply confirms (its first word, after «ну», «вот»…, is one of
``rules.confirmations``: «— А финансирование? — Тоже.», «— А с переводчиками как? — Плохо»;
not «Да нет, …») is kept, marker blanked: the coder reads it as a question answered.
Blanking replaces characters by spaces (line breaks are kept): offsets of evidence still
point into the answer as written.

A turn is marked by a word of the codebook's ``rules.interviewer`` or ``rules.respondent``
followed by a colon at the start of a line, after an optional dash («В:», «— Инт.:»,
«Вопрос:», «О:», «Респ.:»), in a text where some interviewer's turn asks a question or some
respondent's turn is marked («Вопрос: финансирование.» alone is a heading). A dialogue
written with dashes only is read as one when every line opens with a dash, every odd line is
a question and some even line is not («— Проблемы есть? — Ну, бывает. — Например? — …»): the
odd lines are the interviewer's. Anything else is left as it is — a respondent's own
rhetorical questions stay in the answer.

>>> from survey.spec.codebook import load_codebook
>>> rules = load_codebook().rules
>>> blank_interviewer("В: А язык?\\nО: Язык нет, переводчик есть.", rules)
'          \\n   Язык нет, переводчик есть.'
>>> blank_interviewer("— Проблемы есть?\\n— Никаких.", rules)
'                \\n— Никаких.'
>>> blank_interviewer("В: А финансирование?\\nО: Тоже мало.", rules)
'   А финансирование?\\n   Тоже мало.'
"""

from __future__ import annotations

import re

from survey.base.text import fold
from survey.coding.negation import DASHES
from survey.spec.codebook import Rules

# the codebook's lexicons that decide how a transcript is read (the learned layer's cache follows them)
LEXICONS = ("interviewer", "respondent", "confirmations")
_DASH = re.escape("".join(sorted(DASHES)))
_MARKER = re.compile(r"^[ \t]*[" + _DASH + r"]?[ \t]*([^\W\d_]{1,20})\.?[ \t]*:", re.MULTILINE)
_DASH_LINE = re.compile(r"^[ \t]*[" + _DASH + r"]")
_WORD = re.compile(r"[^\W\d_]+")
_OPENERS = frozenset({"ну", "вот", "так", "а", "это", "то"})


def blank_interviewer(text: str, rules: Rules) -> str:
    """``text`` with the interviewer's turns and the respondents' turn markers blanked
    (see the module's docstring); the text itself when it is not a transcript."""
    interviewer = rules.forms.get("interviewer", frozenset())
    respondent = rules.forms.get("respondent", frozenset())
    if "\n" not in text or not (interviewer or respondent):
        return text
    confirm = rules.forms.get("confirmations", frozenset())
    marked = [(m, fold(m.group(1))) for m in _MARKER.finditer(text)]
    marked = [(m, word) for m, word in marked if word in interviewer or word in respondent]
    if any(word in interviewer for _, word in marked):
        starts = [m.start() for m, _ in marked] + [len(text)]
        asked = any(word in interviewer and "?" in text[m.end() : starts[n + 1]] for n, (m, word) in enumerate(marked))
        if asked or any(word in respondent for _, word in marked):
            return _blank_marked(text, marked, starts, interviewer, respondent, confirm)
        return text  # «Вопрос: финансирование.» — a heading, not an interviewer's turn
    return _blank_dashed(text, confirm)


def _blank_marked(text: str, marked, starts: list[int], interviewer, respondent, confirm: frozenset[str]) -> str:
    """Turns opened by a marker (``starts``: where each begins, then the text's end): an
    interviewer's turn runs to the next marked line."""
    chars = list(text)
    for n, (m, word) in enumerate(marked):
        if word in interviewer:
            reply = text[marked[n + 1][0].end() : starts[n + 2]] if n + 1 < len(marked) else ""
            kept = n + 1 < len(marked) and marked[n + 1][1] in respondent and _confirms(reply, confirm)
            _blank(chars, m.start(), m.end() if kept else starts[n + 1])
        elif word in respondent:
            _blank(chars, m.start(), m.end())
    return "".join(chars)


def _confirms(reply: str, confirm: frozenset[str]) -> bool:
    """The reply opens by confirming what the question asked («Тоже.», «Да, бывает», «Плохо»;
    not «Да нет, …»): the question is kept, and the coder reads it as a question answered."""
    words = _WORD.findall(fold(reply))
    while words and words[0] in _OPENERS:
        words = words[1:]
    return bool(words) and words[0] in confirm and not (len(words) > 1 and words[1] in ("нет", "не"))


def _blank_dashed(text: str, confirm: frozenset[str]) -> str:
    """A dialogue of dash lines whose odd lines are all questions: those lines are blanked."""
    lines = text.split("\n")
    filled = [(n, line) for n, line in enumerate(lines) if line.strip()]
    if len(filled) < 2 or not all(_DASH_LINE.match(line) for _, line in filled):
        return text
    odd, even = filled[0::2], filled[1::2]
    if not all(line.rstrip().endswith("?") for _, line in odd) or all(line.rstrip().endswith("?") for _, line in even):
        return text
    replies = [line.lstrip(" \t" + "".join(DASHES)) for _, line in even] + [""]
    blanked = {n for (n, _), reply in zip(odd, replies) if not _confirms(reply, confirm)}
    return "\n".join(" " * len(line) if n in blanked else line for n, line in enumerate(lines))


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "
