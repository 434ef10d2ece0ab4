"""Codebook entries for problems said in other words: one sentence of our own per entry group
(none from the corpora), with the categories a careful coder gives it, for the rules alone."""

from __future__ import annotations

import pytest

from survey.coding.coder import Coder

CASES = [
    # interest: discontinuity and formality
    ("У партнёров постоянно меняются контактные лица.", {"interest"}),
    ("После выборов связь с мэрией Цзилиня потеряли.", {"interest"}),
    ("Живём от визита к визиту.", {"interest"}),
    ("Съездим раз в три года — и всё забывается.", {"interest"}),
    ("Сплошной формализм.", {"interest"}),
    ("Каждому новому заместителю приходится заново объяснять, кто мы.", {"interest"}),
    ("Руководство не видит смысла в этих поездках.", {"interest"}),
    ("Системности в работе нет.", {"interest"}),
    ("Наш город для провинции не является приоритетным.", {"interest"}),
    ("Интерес китайских инвесторов к области невысокий.", {"economy"}),
    # bureaucracy: approvals and slow replies
    ("Всё идёт через посредников.", {"bureaucracy"}),
    ("Слишком много уровней принятия решений.", {"bureaucracy"}),
    ("Ответ на письмо приходит через два месяца.", {"bureaucracy"}),
    ("Мы полностью зависим от Москвы.", {"bureaucracy"}),
    ("Каждую поездку надо согласовать с правительством.", {"bureaucracy"}),
    ("Работа через генконсульство всё замедляет.", {"bureaucracy"}),
    # legal: mechanisms, powers, certificates
    ("Институционально ничего не выстроено.", {"legal"}),
    ("Нет единого центра, куда обратиться.", {"legal"}),
    ("У муниципалитета нет таких полномочий.", {"legal"}),
    ("Сертификация продукции для Китая.", {"legal"}),
    ("Квоты на иностранную рабочую силу.", {"legal"}),
    ("Соглашения рамочные, без конкретики.", {"legal"}),
    ("Никто ничего не координирует.", {"legal"}),
    # funding
    ("Такой объём обменов нам финансово не потянуть.", {"funding"}),
    ("На ответный визит ехать не на что.", {"funding"}),
    ("Ресурсов на это у нас не хватает.", {"funding"}),
    ("Ставку переводчика нам не дают.", {"funding", "language"}),
    ("Переводчика нанимаем за деньги.", set()),
    ("Переводы денег идут через третьи страны.", {"economy"}),
    # economy
    ("Экспортёров, готовых работать с Китаем, мало.", {"economy"}),
    ("Турпоток упал в разы.", {"economy"}),
    ("Наш рынок для них слишком мал.", {"economy"}),
    # mentality
    ("Горизонт планирования у нас разный.", {"mentality"}),
    ("Культура у них совсем другая.", {"mentality"}),
    ("Гости обижаются, если их не встречает мэр.", {"mentality"}),
    ("Информационная закрытость китайских компаний.", set()),
    # covid without the word
    ("Второй год общаемся только онлайн.", {"covid"}),
    ("Когда откроют переход, поедем.", {"covid"}),
    ("Пассажирский переход закрыт.", {"covid"}),
    # distance
    ("Самолётом дорого, поездом почти неделя.", {"distance"}),
    # abbreviations of official writing
    ("Внимание кит. партнёров к нам ослабло, интерес падает.", {"interest"}),
    ("Межд. отдел без нормат. базы на фед. уровне.", {"legal"}),
    ("Сотрудники мало знают о китайских компаниях.", set()),
    ("Бизнес к Китаю особого интереса не проявляет.", {"economy"}),
    # no problems in other words
    ("Основная сложность — ковид, всё остальное вторично.", {"covid", "no_problems"}),
    ("Вопрос один: пандемия.", {"covid", "no_problems"}),
    ("Нас всё устраивает.", {"no_problems"}),
    ("Текущие вопросы решаем по телефону.", {"no_problems"}),
    ("С согласованиями и финансированием у нас всё в порядке.", set()),
]


@pytest.fixture(scope="module")
def coder():
    return Coder(learned=False)


@pytest.mark.parametrize("text,coded", CASES, ids=[c[0][:50] for c in CASES])
def test_paraphrase(coder, text, coded):
    result = coder.code(text)
    assert set(result.categories) == coded, result.evidence_text() or result.denial_text()
