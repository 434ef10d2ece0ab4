"""Person names in open answers (survey.inputs.names): quality on the names set, offsets, traps."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

from survey.inputs.names import MASK, mask_names, model_files

from .conftest import DATA


def _gold():
    """(text, gold spans) of every answer of tests/data/corpus/names.csv; each listed name is
    found on word boundaries as many times as it is listed."""
    rows = []
    with open(DATA / "corpus" / "names.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            names = [n.strip() for n in r["names"].split("|") if n.strip()]
            spans: set[tuple[int, int]] = set()
            for name in set(names):
                found = [m.span() for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", r["text"])]
                assert len(found) == names.count(name), (r["id"], name)
                spans.update(found)
            rows.append((r["text"], sorted(spans)))
    return rows


def _chars(spans, text):
    return {i for a, b in spans for i in range(a, b) if not text[i].isspace()}


def test_recall_and_precision_on_the_names_set():
    rows = _gold()
    results = mask_names([t for t, _ in rows])
    mentions = found = predicted = correct = 0
    for (text, gold), result in zip(rows, results):
        pred = [(s.start, s.end) for s in result.spans]
        mentions += len(gold)
        predicted += len(pred)
        # strict: a mention is found when all its characters are masked; a mask is right when it
        # lies inside a mention
        found += sum(_chars([g], text) <= _chars(pred, text) for g in gold)
        correct += sum(_chars([p], text) <= _chars(gold, text) for p in pred)
    recall, precision = found / mentions, correct / predicted
    assert mentions == 119 and len(rows) == 160
    assert recall >= 0.95, recall
    assert precision >= 0.9, precision


def test_masked_text_and_offsets_agree():
    texts = ["Как говорил наш бывший мэр Юрий Степанович: «С китайцами надо дружить».", "", None, "Проблем нет."]
    for text, result in zip(texts, mask_names(texts)):
        text = text or ""
        rebuilt, last = [], 0
        for span in result.spans:
            assert text[span.start : span.end] == span.original
            rebuilt += [text[last : span.start], MASK]
            last = span.end
        assert "".join(rebuilt + [text[last:]]) == result.masked
    assert mask_names(["Проблем нет."])[0].has_names is False


def test_batch_gives_what_one_by_one_gives():
    texts = ["Сорокина спросите, он лучше знает.", "Работали с Чэнь Ли и с Ян Мином.", "Проблем нет."]
    assert mask_names(texts) == [mask_names([t])[0] for t in texts]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Письмо подписал И.И. Сидоров.", ["И.И. Сидоров"]),
        ("Звонили Тимохиной Е. В. из министерства.", ["Тимохиной Е. В."]),
        ("Наш юрист Пётр Иванович Гаврилов в отпуске.", ["Пётр Иванович Гаврилов"]),
        ("Помогала переводчица Чэнь Ли из Харбина.", ["Чэнь Ли"]),
        ("как отметил глава города Иванов И. И.", ["Иванов И. И."]),
        # after a form of address, a word that is a noun or a verb elsewhere is still a name
        ("Как сказал мне господин Ван: «В Китае пять лет — это вечность».", ["Ван"]),
        ("Мэр Хэйхэ господин Сунь при встрече обещал помочь.", ["Сунь"]),
    ],
)
def test_persons_are_masked(text, expected):
    assert [s.original for s in mask_names([text])[0].spans] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Мы живём на улице Гоголя, рядом памятник Пушкину.",
        "Фестиваль имени Ростроповича прошёл в Ульяновске.",
        "Сотрудничаем с Харбином и Уханем, но медленно.",
        "Проблем нет. Работаем.",
        "Письмо направили на имя: Господин Посол Китая.",
    ],
)
def test_places_named_after_people_are_not_masked(text):
    assert mask_names([text])[0].spans == ()


def test_the_model_comes_from_the_installed_wheel():
    for path in model_files():
        assert path.is_file() and Path(sys.prefix).resolve() in path.resolve().parents


def test_protected_words_cover_every_case_and_whole_multiword_names():
    protect = ["цзинан*", "великий", "новгород"]
    texts = [
        "Договор с Цзинанем подписан.",
        "Партнёры из Цзянсу с 2016 года предлагают побратимство Великому Новгороду.",
        "Звонил Пётр Сомов.",
    ]
    assert [m.has_names for m in mask_names(texts)] == [True, True, True]  # taken for names unprotected
    masked = [m.masked for m in mask_names(texts, protect)]
    assert masked[:2] == texts[:2] and masked[2] == "Звонил [ФИО]."
