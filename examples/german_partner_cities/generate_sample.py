"""Generate the synthetic responses of the second example study and their gold coding.

THE DATA MADE HERE ARE SYNTHETIC. The study is an invented expert survey of the officials who
coordinate the partnerships of 20 Russian cities with German partner cities (international
relations offices of the city administrations, fieldwork 2023). Every name, age, rating and
answer below was written or drawn for this example; none comes from a real questionnaire.

Outputs (beside this script; run it from anywhere)::

    python examples/german_partner_cities/generate_sample.py

* ``responses.xlsx``      - sheet «Ответы»: header = the data columns of ``questionnaire.yaml``,
  one row per expert G01..G36 (36 experts in the 20 units of ``units.csv``); workbook property
  Keywords = «synthetic», so every report made from it says the data are synthetic;
* ``responses_gold.csv``  - the intended coding of every ``q4_difficulties`` answer (what a
  careful human coder codes): ``expert_id`` and one 0/1 column per category of
  ``codebook.yaml``, in codebook order.

How it works: the category set of every expert is decided first (exact totals, by
construction), then the answer is composed from hand-written phrase banks, each phrase tagged
with the one category it expresses. Answers also deny categories the expert does not have
(«с визами проблем нет», «финансирования хватает») and carry neutral sentences about the
partnership; three experts say there are no problems at all. The script asserts that the
categories expressed equal the gold.

Only the standard library, PyYAML and openpyxl are used (not the ``survey`` package), so the
example does not depend on the code it tests. Fixed seeds, fixed workbook properties and zip
timestamps: running it twice gives byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).resolve().parent
OUT_XLSX = HERE / "responses.xlsx"
OUT_GOLD = HERE / "responses_gold.csv"
SHEET = "Ответы"
SEED = 2023
FIXED_TIME = dt.datetime(2024, 1, 15, 9, 0, 0)
N_EXPERTS = 36

# Experts per unit (unit_id → number); 4 units with 3 experts, 8 with 2, 8 with 1.
EXPERTS_PER_UNIT = {
    "moscow": 3,
    "saint_petersburg": 3,
    "kaliningrad": 3,
    "nizhny_novgorod": 3,
    "veliky_novgorod": 2,
    "pskov": 2,
    "tver": 2,
    "vladimir": 2,
    "yaroslavl": 2,
    "kazan": 2,
    "samara": 2,
    "volgograd": 2,
    "petrozavodsk": 1,
    "oryol": 1,
    "kaluga": 1,
    "tula": 1,
    "lipetsk": 1,
    "kursk": 1,
    "ufa": 1,
    "rostov_on_don": 1,
}
CODED_QUESTION = "q4_difficulties"
PROBLEMS = ["visas", "sanctions", "language", "funding", "bureaucracy", "interest"]
NO_PROBLEMS = "no_problems"
# Exact gold totals: how many of the 36 experts name each category.
TARGETS = {
    "visas": 17,
    "sanctions": 20,
    "language": 7,
    "funding": 9,
    "bureaucracy": 6,
    "interest": 11,
    "no_problems": 3,
}
N_DONT_KNOW = 3  # experts answering 99 «затрудняюсь ответить» on the 1-10 scale

# ---- people ---------------------------------------------------------------------------------
MALE_NAMES = ["Алексей", "Андрей", "Борис", "Вадим", "Виктор", "Дмитрий", "Евгений", "Игорь", "Илья", "Кирилл"]
MALE_NAMES += ["Максим", "Михаил", "Николай", "Олег", "Павел", "Роман", "Сергей", "Юрий"]
FEMALE_NAMES = ["Алла", "Анна", "Вера", "Галина", "Дарья", "Екатерина", "Елена", "Ирина", "Ксения", "Лариса"]
FEMALE_NAMES += ["Марина", "Мария", "Надежда", "Наталья", "Ольга", "Светлана", "Татьяна", "Юлия"]
PATRONYMICS = [
    ("Александрович", "Александровна"),
    ("Андреевич", "Андреевна"),
    ("Борисович", "Борисовна"),
    ("Викторович", "Викторовна"),
    ("Владимирович", "Владимировна"),
    ("Геннадьевич", "Геннадьевна"),
    ("Дмитриевич", "Дмитриевна"),
    ("Игоревич", "Игоревна"),
    ("Михайлович", "Михайловна"),
    ("Николаевич", "Николаевна"),
    ("Петрович", "Петровна"),
    ("Сергеевич", "Сергеевна"),
    ("Юрьевич", "Юрьевна"),
]
SURNAMES = ["Алексеев", "Белов", "Васильев", "Волков", "Голубев", "Гусев", "Егоров", "Жуков", "Зайцев"]
SURNAMES += ["Ильин", "Калинин", "Ковалёв", "Крылов", "Лебедев", "Макаров", "Медведев", "Никитин", "Орлов"]
SURNAMES += ["Павлов", "Романов", "Соколов", "Тихонов", "Фролов", "Шубин", "Яковлев", "Левицкий", "Покровский"]
SURNAMES += ["Ткаченко", "Савчук", "Черных", "Андреев", "Борисов", "Виноградов", "Григорьев", "Денисов", "Зуев"]
SURNAMES += ["Карпов", "Кузнецов", "Морозов", "Новиков", "Осипов", "Панов", "Рябов", "Семёнов", "Широков"]
POSITIONS = [
    "начальник отдела международных связей",
    "заместитель начальника управления внешних связей",
    "главный специалист отдела международного сотрудничества",
    "ведущий специалист по международным связям",
    "консультант комитета по внешним связям",
    "советник главы города по международным вопросам",
    "начальник отдела протокола и международных связей",
    "специалист-эксперт отдела побратимских связей",
    "заместитель председателя комитета по внешним связям",
]

# =============================================================================================
# PHRASE BANKS for q4_difficulties. Every entry expresses exactly one category (the key).
# NOUNS: nominative noun phrases, lower case, for lists. SENTENCES: complete sentences.
# A sentence given as (text, "not_moscow") is not used for experts from Moscow.
# =============================================================================================

NOUNS = {
    "visas": [
        "визы",
        "сложности с шенгенскими визами",
        "долгое оформление виз",
        "отказы в визах",
        "дорогие поездки через третьи страны",
        "отсутствие прямых рейсов в Германию",
        "визовые ограничения",
        "высокая стоимость билетов",
    ],
    "sanctions": [
        "санкции",
        "политическая обстановка",
        "нынешняя политическая ситуация",
        "заморозка официальных контактов",
        "решение немецкой стороны приостановить партнёрство",
        "геополитическая напряжённость",
        "санкционные ограничения",
        "невозможность банковских переводов",
    ],
    "language": [
        "языковой барьер",
        "нехватка переводчиков с немецким языком",
        "слабое знание немецкого языка у сотрудников",
        "отсутствие переводчика в штате",
        "языковые трудности",
    ],
    "funding": [
        "нехватка средств",
        "отсутствие финансирования",
        "сокращение бюджета на международные связи",
        "недостаточное финансирование обменов",
        "закрытие грантовых программ",
        "финансовые трудности",
    ],
    "bureaucracy": [
        "бюрократия",
        "долгие согласования",
        "бюрократические процедуры в немецких администрациях",
        "волокита с документами",
        "многоступенчатое согласование проектов",
    ],
    "interest": [
        "угасание интереса немецких партнёров",
        "снижение интереса с немецкой стороны",
        "пассивность партнёров",
        "отсутствие обратной связи от партнёров",
        "старение общества дружбы в городе-партнёре",
    ],
}

SENTENCES: dict[str, list[str | tuple[str, str]]] = {
    "visas": [
        "Получить шенгенскую визу стало очень трудно: ждём месяцами, а иногда получаем отказ.",
        "Прямых рейсов в Германию больше нет, летаем через Стамбул или Белград, и дорога занимает целый день.",
        ("Визовый центр в нашем городе закрыли, за визой приходится ехать в Москву.", "not_moscow"),
        "Школьников в Германию мы больше не возим: визы дают не всем, а билеты стоят очень дорого.",
        "Немецким гостям добраться к нам непросто: прямого авиасообщения нет, едут с пересадками.",
        "Каждая поездка теперь — лотерея с визой.",
        "Дорога до города-партнёра занимает почти двое суток.",
        "Консульство выдаёт визы только на одну поездку, и на каждый визит нужна новая виза.",
    ],
    "sanctions": [
        "После февраля 2022 года немецкая сторона приостановила официальные контакты на уровне администраций.",
        "Политическая ситуация сказывается на всём: официальные мероприятия отменены, остались только личные связи.",
        "Из-за санкций не проходят банковские платежи, и оплатить участие в выставке в Германии невозможно.",
        "Немецкие коллеги откровенно говорят, что под давлением политики не могут приезжать к нам официально.",
        "Магистрат города-партнёра заморозил все совместные программы по политическим мотивам.",
        "Партнёрство не расторгнуто, но политический фон не позволяет проводить совместные мероприятия.",
        "В Германии побратимство с российским городом сейчас политически невыгодно, и бургомистр держит дистанцию.",
    ],
    "language": [
        "В отделе никто не владеет немецким, а приглашать переводчика на каждую встречу дорого.",
        "Переводчиков с немецким в городе почти не осталось.",
        "Немецкий у нас знают единицы, поэтому переписку ведём через онлайн-переводчик.",
        "Немецкие партнёры по-русски не говорят, а у нас немецким владеет только один специалист.",
        "Языковой барьер мешает живому общению школьников на обменах.",
        "Для школьников главная трудность — язык: немецкий в наших школах почти не преподают.",
    ],
    "funding": [
        "Денег на приём немецких делегаций в бюджете города не предусмотрено.",
        "Бюджет на международную деятельность урезали вдвое.",
        "Грантовые программы, на которые раньше ездили школьники, закрылись, а своих средств у города нет.",
        "Финансирование выделяется по остаточному принципу.",
        "Оплачивать проезд и проживание участников обменов не из чего.",
    ],
    "bureaucracy": [
        "Любое решение на немецкой стороне проходит через городской совет, и согласование занимает полгода.",
        "У немецких коллег всё расписано на год вперёд, а каждое изменение надо согласовывать в нескольких инстанциях.",
        "Согласование совместного проекта с магистратом может тянуться месяцами.",
        "Немецкая бюрократия ничуть не лучше нашей: на каждый шаг нужен протокол заседания.",
        "Каждый визит приходится согласовывать с министерством, и это отнимает массу времени.",
    ],
    "interest": [
        "Немецкие коллеги перестали отвечать на наши письма.",
        "Энтузиасты, на которых держалось партнёрство, ушли на пенсию, "
        "а молодёжи в немецком обществе дружбы почти нет.",
        "Интерес у партнёров заметно угас: на приглашения отвечают вежливо, но уклончиво.",
        "Контакты свелись к поздравлениям с праздниками.",
        "Новое руководство города-партнёра интереса к нам не проявляет.",
    ],
}

# Denials and statements of sufficiency: the category is named but is NOT a difficulty.
DENIALS = {
    "visas": [
        "С визами проблем нет.",
        "Визовых трудностей мы не испытываем.",
        "Визы нашим делегациям дают, здесь всё в порядке.",
    ],
    "sanctions": [
        "Политика на наши отношения не влияет.",
        "Санкции нашему сотрудничеству не мешают.",
    ],
    "language": [
        "Языкового барьера нет: два сотрудника отдела свободно говорят по-немецки.",
        "С переводчиками проблем нет.",
    ],
    "funding": [
        "Финансирования хватает.",
        "Средства на обмены город выделяет, их достаточно.",
        "Деньги на поездки у нас есть.",
    ],
    "bureaucracy": [
        "Бюрократических препятствий мы не видим.",
        "Согласования проходят быстро.",
    ],
    "interest": [
        "Интерес у партнёров сохраняется.",
        "Немецкие коллеги по-прежнему активны и охотно отвечают на письма.",
    ],
}
# Instrumental case, for «С визами и финансированием проблем нет».
DENIAL_INSTRUMENTAL = {
    "visas": "визами",
    "language": "языком",
    "funding": "финансированием",
    "bureaucracy": "согласованиями",
}
COMBINED_DENIALS = ["С {a} и {b} проблем нет.", "Трудностей с {a} и {b} не возникает."]

NO_PROBLEM_ANSWERS = [
    "Проблем нет, сотрудничество развивается.",
    "Серьёзных трудностей нет, все вопросы решаем в рабочем порядке.",
    "Особых трудностей не вижу: с партнёрами давние дружеские отношения.",
    "Затрудняюсь назвать какие-либо трудности, всё идёт по плану.",
    "Трудностей не возникает, партнёры надёжные.",
    "Существенных проблем нет.",
]

# Category-neutral sentences: context about the partnership, no difficulty named.
FILLERS = [
    "Партнёрству нашего города уже больше тридцати лет.",
    "Школьные обмены всегда были самой живой частью сотрудничества.",
    "В прошлом году провели совместный онлайн-концерт двух городских оркестров.",
    "Немецкие друзья в своё время помогли оборудовать детскую больницу.",
    "Общество дружбы у нас работает при городской библиотеке.",
    "Много лет наши студенты проходили практику на предприятиях города-партнёра.",
    "Личные дружеские связи между людьми сохраняются.",
]
OPENERS = [
    "Трудности, конечно, есть.",
    "Скажу как есть.",
    "Если говорить откровенно, трудностей хватает.",
    "Перечислю главное.",
]
CLOSERS = [
    "Вот, пожалуй, основное.",
    "Надеемся, что ситуация изменится.",
    "Но связи мы сохраняем.",
    "В остальном отношения дружеские.",
]
LIST_TEMPLATES = ["Основные трудности: {}.", "Главные проблемы — {}.", "Прежде всего это {}.", "{}."]
LIST_TEMPLATES_ONE = ["Основная трудность — {}.", "Главная проблема — {}.", "Прежде всего это {}.", "{}."]
NUMBERED_HEADERS = ["Трудности такие:", "Основные проблемы:", ""]
NOUN_CONNECTORS = ["Ещё одна трудность — {}.", "Отдельная тема — {}."]
SENTENCE_CONNECTORS = ["Кроме того, {}", "Вдобавок {}", "Плюс к этому {}", "{}"]

PROPOSALS = [
    "Возобновить школьные обмены, как только позволит обстановка.",
    "Проводить совместные онлайн-мероприятия: концерты, выставки, конференции.",
    "Упростить выдачу виз участникам обменов между городами-партнёрами.",
    "Поддержать общества дружбы небольшими грантами.",
    "Организовать стажировки муниципальных служащих в администрации города-партнёра.",
    "Развивать контакты через вузы, музеи и библиотеки, а не только через администрации.",
    "Составлять общий календарь мероприятий на год.",
    "Привлекать молодёжь к работе обществ дружбы.",
    "Организовать курсы немецкого языка для сотрудников администрации.",
    "Сохранять личные контакты, пока официальные заморожены.",
    "Провести встречу координаторов российско-германских партнёрств городов.",
]


@dataclass
class Expert:
    expert_id: str
    unit_id: str
    unit_name: str
    gold: set[str] = field(default_factory=set)
    values: dict = field(default_factory=dict)


def rng_for(part: str) -> random.Random:
    """An independent, seeded generator per part (a change in one part leaves the others)."""
    return random.Random(f"{SEED}:{part}")


def read_study() -> tuple[list[str], list[str], dict[str, str]]:
    """Data columns of the questionnaire, category ids of the codebook, unit names by id."""
    q = yaml.safe_load((HERE / "questionnaire.yaml").read_text(encoding="utf-8"))
    columns = []
    for f in q["respondent"] + q["questions"]:
        if f["type"] == "multiple":
            columns += [f"{f['id']}_{o['name']}" for o in f["options"]]
        else:
            columns.append(f["id"])
    cb = yaml.safe_load((HERE / "codebook.yaml").read_text(encoding="utf-8"))
    categories = [c["id"] for c in cb["categories"]]
    with open(HERE / "units.csv", encoding="utf-8", newline="") as fh:
        units = {row["unit_id"]: row["name"] for row in csv.DictReader(fh)}
    return columns, categories, units


def female_surname(s: str) -> str:
    if s.endswith(("ов", "ев", "ёв", "ин")):
        return s + "а"
    if s.endswith(("ский", "цкий")):
        return s[:-2] + "ая"
    return s  # -енко, -ук, -ых: the same for both genders


def build_experts(units: dict[str, str]) -> list[Expert]:
    assert set(EXPERTS_PER_UNIT) == set(units), "EXPERTS_PER_UNIT must list every unit of units.csv"
    slots = [uid for uid, n in EXPERTS_PER_UNIT.items() for _ in range(n)]
    assert len(slots) == N_EXPERTS
    rng = rng_for("design")
    rng.shuffle(slots)
    experts = [Expert(f"G{i:02d}", uid, units[uid]) for i, uid in enumerate(slots, 1)]
    people = rng_for("people")
    surnames = people.sample(SURNAMES, N_EXPERTS)  # no two experts share a surname
    for e, surname in zip(experts, surnames):
        female = people.random() < 0.6
        patronymic = people.choice(PATRONYMICS)[1 if female else 0]
        if female:
            name = f"{female_surname(surname)} {people.choice(FEMALE_NAMES)} {patronymic}"
        else:
            name = f"{surname} {people.choice(MALE_NAMES)} {patronymic}"
        age = max(24, min(66, round(people.gauss(43, 10))))
        e.values.update(
            full_name=name,
            gender=2 if female else 1,
            age=age,
            position=people.choice(POSITIONS),
        )
    return experts


def assign_gold(experts: list[Expert]) -> None:
    """Exact totals per category; every expert but the no-problems ones has at least one."""
    rng = rng_for("gold")
    no_problem_ids = {e.expert_id for e in rng.sample(experts, TARGETS[NO_PROBLEMS])}
    pool = [e for e in experts if e.expert_id not in no_problem_ids]
    for e in experts:
        if e.expert_id in no_problem_ids:
            e.gold = {NO_PROBLEMS}
    for cat in PROBLEMS:
        for e in rng.sample(pool, TARGETS[cat]):
            e.gold.add(cat)
    # move a category from an expert with three or more to an expert with none
    while True:
        empty = [e for e in pool if not e.gold]
        if not empty:
            break
        donor = max(pool, key=lambda e: (len(e.gold), e.expert_id))
        assert len(donor.gold) >= 3, "cannot give every expert a difficulty"
        cat = sorted(donor.gold)[rng.randrange(len(donor.gold))]
        donor.gold.remove(cat)
        empty[0].gold.add(cat)


def pick(rng: random.Random, bank: list, e: Expert):
    usable = [b for b in bank if not (isinstance(b, tuple) and b[1] == "not_moscow" and e.unit_id == "moscow")]
    item = rng.choice(usable)
    return item[0] if isinstance(item, tuple) else item


def decap(s: str) -> str:
    return s[0].lower() + s[1:]


def join_nouns(nouns: list[str]) -> str:
    return nouns[0] if len(nouns) == 1 else ", ".join(nouns[:-1]) + " и " + nouns[-1]


def compose(e: Expert, rng: random.Random) -> tuple[str, set[str], set[str]]:
    """The answer, the categories it expresses and the categories it denies."""
    expressed: set[str] = set()
    denied: set[str] = set()
    absent = [c for c in PROBLEMS if c not in e.gold]
    denials: list[str] = []
    r = rng.random()
    if r < 0.2 and len([c for c in absent if c in DENIAL_INSTRUMENTAL]) >= 2:
        a, b = rng.sample([c for c in absent if c in DENIAL_INSTRUMENTAL], 2)
        denials.append(rng.choice(COMBINED_DENIALS).format(a=DENIAL_INSTRUMENTAL[a], b=DENIAL_INSTRUMENTAL[b]))
        denied |= {a, b}
    elif r < 0.5 and absent:
        c = rng.choice(absent)
        denials.append(rng.choice(DENIALS[c]))
        denied.add(c)

    if e.gold == {NO_PROBLEMS}:
        first_words = {d.split()[0] for d in denials}
        core = rng.choice([a for a in NO_PROBLEM_ANSWERS if a.split()[0] not in first_words])
        parts = [*denials, core] if rng.random() < 0.5 else [core, *denials]
        if rng.random() < 0.4:
            parts.append(rng.choice(FILLERS))
        return " ".join(parts), {NO_PROBLEMS}, denied

    cats = [c for c in PROBLEMS if c in e.gold]
    rng.shuffle(cats)
    expressed |= set(cats)
    style = rng.choices(["list", "numbered", "prose", "mixed"], [30, 15, 35, 20])[0]
    if len(cats) == 1 and style == "numbered":
        style = "prose"
    parts: list[str] = []
    if style == "list":
        nouns = [rng.choice(NOUNS[c]) for c in cats]
        template = rng.choice(LIST_TEMPLATES if len(nouns) > 1 else LIST_TEMPLATES_ONE)
        text = join_nouns(nouns)
        parts.append(template.format(text[0].upper() + text[1:] if template == "{}." else text))
    elif style == "numbered":
        nouns = [rng.choice(NOUNS[c]) for c in cats]
        header = rng.choice(NUMBERED_HEADERS)
        items = [f"{i}) {n}{';' if i < len(nouns) else '.'}" for i, n in enumerate(nouns, 1)]
        parts.append("\n".join(([header] if header else []) + items))
    elif style == "prose":
        if rng.random() < 0.4:
            parts.append(rng.choice(OPENERS))
        for i, c in enumerate(cats):
            if i > 0 and rng.random() < 0.3:
                parts.append(rng.choice(NOUN_CONNECTORS).format(rng.choice(NOUNS[c])))
                continue
            sentence = pick(rng, SENTENCES[c], e)
            if i > 0:
                connector = rng.choice(SENTENCE_CONNECTORS)
                sentence = connector.format(decap(sentence) if connector != "{}" else sentence)
            parts.append(sentence)
    else:  # mixed: a list of all, then one of them in detail
        nouns = [rng.choice(NOUNS[c]) for c in cats]
        templates = LIST_TEMPLATES if len(nouns) > 1 else LIST_TEMPLATES_ONE
        parts.append(rng.choice(templates[:3]).format(join_nouns(nouns)))
        parts.append(pick(rng, SENTENCES[rng.choice(cats)], e))
    if denials:
        if rng.random() < 0.5:
            parts = denials + parts
        else:
            parts += denials
    if rng.random() < 0.35:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(FILLERS))
    if rng.random() < 0.25:
        parts.append(rng.choice(CLOSERS))
    sep = "\n" if style == "numbered" else " "
    return sep.join(parts), expressed, denied


def closed_answers(experts: list[Expert]) -> None:
    rng = rng_for("closed")
    dont_know = {e.expert_id for e in rng.sample([e for e in experts if NO_PROBLEMS not in e.gold], N_DONT_KNOW)}
    areas = {
        "culture": 0.8,
        "schools": 0.6,
        "universities": 0.45,
        "youth": 0.5,
        "sport": 0.35,
        "economy": 0.2,
        "municipal": 0.25,
        "memory": 0.4,
    }
    for e in experts:
        n = len(e.gold & set(PROBLEMS))
        base = 9.0 if NO_PROBLEMS in e.gold else 7.6 - 1.3 * n - (1.0 if "sanctions" in e.gold else 0.0)
        score = max(1, min(10, round(base + rng.gauss(0, 1.4))))
        e.values["q1_satisfaction"] = 99 if e.expert_id in dont_know else score
        chosen = {a: int(rng.random() < p) for a, p in areas.items()}
        if not any(chosen.values()):
            chosen[rng.choice(["culture", "schools"])] = 1
        for a, v in chosen.items():
            e.values[f"q2_areas_{a}"] = v
        weights = [5, 15, 40, 40] if "sanctions" in e.gold else [30, 40, 25, 5]
        e.values["q3_visits"] = rng.choices([1, 2, 3, 4], weights)[0]


def proposals(experts: list[Expert]) -> None:
    rng = rng_for("proposals")
    for e in experts:
        k = rng.choices([0, 1, 2], [30, 45, 25])[0]
        e.values["q5_proposals"] = " ".join(rng.sample(PROPOSALS, k)) if k else None


def save_workbook_stable(wb: Workbook, path: Path) -> None:
    """Save with fixed document properties and zip timestamps (byte-identical reruns)."""
    wb.properties.creator = "survey example generator"
    wb.properties.lastModifiedBy = "survey example generator"
    wb.properties.title = "Синтетические ответы примера: российско-германские города-партнёры (не реальные данные)"
    wb.properties.keywords = "synthetic"  # survey marks every report made from it as synthetic
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(wb, archive).save()  # closes the archive
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            out.writestr(zi, src.read(info.filename))


def write_outputs(experts: list[Expert], columns: list[str], categories: list[str]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for e in experts:
        values = {"expert_id": e.expert_id, "unit_id": e.unit_name, **e.values}
        assert set(values) == set(columns), set(values) ^ set(columns)
        ws.append([values[c] for c in columns])
    widths = {"unit_id": 20, "full_name": 34, "position": 44, CODED_QUESTION: 80, "q5_proposals": 60}
    for k, c in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(k)].width = widths.get(c, 10)
        if c in (CODED_QUESTION, "q5_proposals"):
            for row in ws.iter_rows(min_row=2, min_col=k, max_col=k):
                row[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    save_workbook_stable(wb, OUT_XLSX)
    with open(OUT_GOLD, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["expert_id", *categories])
        for e in experts:
            w.writerow([e.expert_id, *(int(c in e.gold) for c in categories)])


def main() -> int:
    columns, categories, units = read_study()
    assert categories == [*PROBLEMS, NO_PROBLEMS], f"codebook categories {categories}"
    experts = build_experts(units)
    assign_gold(experts)
    rng = rng_for("answers")
    for e in experts:
        text, expressed, denied = compose(e, rng)
        assert expressed == e.gold, (e.expert_id, expressed, e.gold)
        assert not denied & e.gold, (e.expert_id, denied)
        if rng.random() < 0.4:  # many people type «е» for «ё»
            text = text.replace("ё", "е").replace("Ё", "Е")
        e.values[CODED_QUESTION] = text
    closed_answers(experts)
    proposals(experts)

    totals = Counter(c for e in experts for c in e.gold)
    assert dict(totals) == TARGETS, totals
    assert len({e.unit_id for e in experts}) == len(units) == 20
    assert all(e.gold == {NO_PROBLEMS} or e.gold <= set(PROBLEMS) for e in experts)
    scores = [e.values["q1_satisfaction"] for e in experts]
    assert scores.count(99) == N_DONT_KNOW
    assert any(s not in (1, 10, 99) for s in scores)

    write_outputs(experts, columns, categories)
    print(f"wrote {OUT_XLSX.name} ({len(experts)} experts, {len(units)} units) and {OUT_GOLD.name}")
    for c in categories:
        print(f"  {c:<12} {totals[c]:>3}")
    print("  q1_satisfaction:", dict(sorted(Counter(scores).items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
