"""The methodology section: how the data were collected, coded and analysed, in plain Russian.

Every paragraph is about the run's own study: the units' word, the border definition (when the
study has a border attribute), the scales' ranges (from the questionnaire), the tests that were
actually computed. What the study does not have switches its paragraph off (no border → no
border paragraph; no models → one line; one group → one line); the gazetteer's notes (what its
settings asked for but the data lacked) are printed as they are.
"""

from __future__ import annotations

import datetime as dt

from survey.analysis.run import AnalysisTables
from survey.reports.context import (
    ONE_GROUP,
    RELIABLE,
    ReportContext,
    alpha_text,
    cap,
    date_field,
    interview_dates,
    interview_modes,
    kind_counts,
    unit_rows,
)
from survey.reports.format import fmt_date, fmt_int, fmt_num, plural, quoted
from survey.reports.problems import primary_test_text
from survey.spec.study import BORDER_STATUS


def methodology(
    ctx: ReportContext, t: AnalysisTables, problems_q, with_names: bool, models_text: str
) -> list[tuple[str, str]]:
    frame, m, q, study = ctx.frame, ctx.manifest, ctx.questionnaire, ctx.study
    out: list[tuple[str, str]] = []
    published = t.published_check is not None and not t.published_check.empty
    if m.get("synthetic"):
        out.append(
            (
                "Синтетические данные",
                study.synthetic_notice
                + (
                    " Они воспроизводят дизайн и опубликованные показатели исследования"
                    if published
                    else " Они воспроизводят дизайн исследования"
                )
                + "; выводы о реальных единицах и экспертах по ним делать нельзя.",
            )
        )
    n_units = int(frame["unit_id"].nunique())
    sample = (f"{q.description} " if q.description else "") + (
        f"Принято анкет: {fmt_int(len(frame))} (прочитано {fmt_int(m.get('respondents_in', len(frame)))}, "
        f"отклонено при проверке {fmt_int(m.get('respondents_rejected', 0))}); единиц выборки"
        + ("" if ctx.units_word == "единиц" else f" ({ctx.units_word})")
        + f": {fmt_int(n_units)}"
    )
    kinds = kind_counts(ctx)
    if kinds:
        sample += " (" + ", ".join(f"{word} — {fmt_int(n)}" for word, n in kinds) + ")"
    clusters = plural(n_units, "кластер", "кластера", "кластеров")
    per = plural(len(frame), "эксперта", "эксперта", "экспертов")
    if n_units == 1 and len(frame) > 1:
        sample += (
            f". Единица анализа — эксперт; все {per} из одной единицы: разброс между единицами оценить нельзя, "
            "поэтому интервалы и критерии с учётом единиц не вычисляются, а простые критерии считают "
            "экспертов независимыми."
        )
    elif ctx.clustered:
        sample += (
            f". Единица анализа — эксперт; эксперты сгруппированы в единицы ({clusters} на {per}), это "
            "учитывается в критериях и интервалах (см. «Дизайн и основной критерий»)."
        )
    else:
        sample += ". Единица анализа — эксперт; у каждой единицы один эксперт, кластеров нет."
    out.append(("Выборка", sample))
    dates = interview_dates(frame, q)
    questions = plural(len(q.questions), "вопрос", "вопроса", "вопросов")
    field_text = f"Анкета: {questions} ({', '.join(f.title for f in q.questions)})."
    if dates is not None:
        field_text += f" {date_field(q).label}: с {fmt_date(dates.min())} по {fmt_date(dates.max())}."
    modes = interview_modes(ctx)
    if modes:
        field_text += f" Способ опроса (число экспертов): {modes}."
    out.append(("Анкета и полевой этап", field_text))
    if ctx.unit_notes:
        out.append(("Справочник единиц", " ".join(ctx.unit_notes)))
    border = study.border
    if border is not None and BORDER_STATUS in frame.columns:
        units = unit_rows(frame)
        text = border.definition + " " if border.definition else ""
        if "federal_subject" in units.columns:
            subjects = sorted(set(units.loc[units[BORDER_STATUS] == "border", "federal_subject"].dropna()))
            if subjects:
                text += f"В выборке это единицы субъектов: {', '.join(subjects)}. "
        text += (
            f"Группы: «{border.groups['border']}» и «{border.groups['non_border']}» "
            f"(столбец {border.column} справочника единиц)."
        )
        if border.line is not None and "border_distance_km" in frame.columns:
            text += (
                f" {cap(border.distance_label)} — расстояние по большому кругу от координат единицы до ближайшей "
                f"точки линии ({border.line.name})."
            )
        out.append((f"Признак «{border.label}»", text))
    if problems_q is not None:
        overrides = (m.get("coding") or {}).get("overrides")
        layer = (m.get("coding") or {}).get("learned_layer") or {}
        learned = ""
        if layer.get("enabled"):
            added = sum((layer.get("codes_added") or {}).values())
            learned = (
                "Коды, которых правила не нашли, может добавить обученный слой — классификатор, обученный на "
                "закодированных вручную примерах; в этом запуске он "
                + (
                    f"добавил {plural(added, 'код', 'кода', 'кодов')} (они отмечены в листе проверки кодов). "
                    if added
                    else "не добавил ни одного кода. "
                )
            )
        elif layer:
            learned = "Обученный слой отключён: коды даны только правилами кодовой книги. "
        out.append(
            (
                "Кодирование открытых ответов",
                f"Ответы на открытый вопрос {quoted(problems_q.title)} закодированы по кодовой книге "
                f"({plural(len(ctx.categories), 'категория', 'категории', 'категорий')}, см. приложение): "
                "по леммам слов (pymorphy3) с правилами отрицания в пределах предложения — «нет X» или «не хватает X» "
                "означает проблему, «с X проблем нет» — её отсутствие. Один ответ может получить "
                "несколько кодов; у каждого кода сохраняются слова ответа, на которых он основан. "
                + learned
                + (
                    "Коды проверены социологом, его исправления имеют приоритет."
                    if overrides
                    else "Ручных исправлений в этом запуске нет."
                ),
            )
        )
    if ctx.reliability:
        out.append(
            (
                "Надёжность кодирования в таблицах",
                "Для каждой категории рядом с её строкой в таблицах проблем приведены κ Коэна и α Криппендорфа — "
                "согласие автоматического кодирования с эталонным (ручным). Категории, у которых κ или α ниже "
                f"{fmt_num(RELIABLE, 1)}, отмечены знаком «†»: их доли и различия читайте с осторожностью.",
            )
        )
    universal = [c for c in (ctx.detail.attrs.get("universal") or []) if c in ctx.categories]
    percent = (
        "Каждая проблема — отдельный признак «назвал / не назвал». Процент — доля экспертов группы, назвавших "
        f"проблему (база — {ctx.base_phrase}), поэтому сумма по проблемам больше 100 %. 95 % доверительные "
        "интервалы — по Уилсону (эксперты как независимые наблюдения)"
    )
    if ctx.clustered:
        percent += (
            " и по дизайну — интервал Корна–Граубарда, учитывающий, что эксперты одной единицы похожи друг на друга "
            "(в Excel-файле рядом с интервалом Уилсона)"
        )
    percent += (
        ". Доля упоминаний (в Excel-файле) — доля проблемы среди всех кодов группы; её база — число упоминаний в группе"
    )
    if universal:
        percent += (
            f"; её вариант без категорий, которые назвали все ({', '.join(quoted(ctx.label(c)) for c in universal)}), "
            "считается и с базой без них"
        )
    out.append(("Проценты и интервалы", percent + "."))
    if ctx.comparable:
        design = primary_test_text(ctx)
        if ctx.clustered:
            design = (
                "Эксперты одной единицы отвечают похоже: их ответы не вполне "
                "независимы, и обычные критерии (Фишер, χ²) тогда слишком часто находят различия. Поэтому основной "
                "критерий для каждой проблемы — критерий Рао–Скотта с поправкой второго порядка (F-вариант, как R "
                'svychisq(statistic = "F") пакета survey): единица — кластер, степени свободы по числу единиц. '
                "Эффект дизайна показывает, во сколько раз дисперсия доли больше, чем у независимой выборки того же "
                "размера. Точный критерий Фишера приведён для сравнения."
            )
        design += (
            f" Уровень значимости — {alpha_text()}. p основного критерия скорректированы на число проблем методом "
            "Холма (вероятность хотя бы одной ложной находки) и Бенджамини–Хохберга (доля ложных находок); "
            "проблема, которую называют все эксперты (или никто), не проверяется, а категории, исключающие "
            "остальные по определению (например, «проблем нет»), в поправку не входят. Буквы групп — попарные "
            "сравнения тем же критерием с поправкой Бонферрони."
        )
        if len(ctx.groups) == 2:
            design += (
                " Размеры эффекта (в Excel-файле): разность долей (интервал Ньюкомба и по дизайну), отношение долей "
                "(Кац и по дизайну), отношение шансов (Вулф) и условное отношение шансов с точным интервалом; "
                "точный критерий Фишера и его mid-p — для сравнения."
            )
        out.append(("Дизайн и основной критерий", design))
        perm = t.problem_tests_detail.attrs.get("n_permutations") or (m.get("analysis") or {}).get("n_permutations")
        seed = t.problem_tests_detail.attrs.get("seed") or (m.get("analysis") or {}).get("seed")
        if t.problems_by_group_units is not None:
            out.append(
                (
                    "Уровень единиц",
                    "Чтобы единицы с несколькими экспертами не весили больше, таблица уровня единиц даёт каждой "
                    "единице равный вес: ответы её экспертов взвешены 1 / (число экспертов единицы). Критерий "
                    "Рао–Скотта повторён с этими весами; перестановочный тест переставляет метки групп между "
                    "единицами, эксперты единицы остаются вместе, и размеры групп в экспертах меняются от "
                    f"перестановки к перестановке ({fmt_int(perm) if perm else '—'} перестановок"
                    + (f", начальное число генератора {seed}" if seed else "")
                    + "). Доля единиц, где проблему назвал хотя бы один эксперт, растёт с числом экспертов единицы "
                    "и приводится только как проверка.",
                )
            )
        out.append(
            (
                "Общий тест",
                "Различается ли набор называемых проблем в целом: сумма статистик χ² по проблемам (тест "
                "множественной маргинальной независимости: Agresti, Liu 1999; Bilder, Loughin, Nettleton 2000; "
                "Bilder, Loughin 2004). Его p-значение получено несколькими способами: с поправкой Рао–Скотта "
                "второго порядка и бутстрепом (как R MRCV), перестановками меток групп между экспертами и — когда "
                "группа задана признаком единицы — между единицами; последний вариант учитывает кластеры и "
                "считается основным. Семейство категорий — те, что проверяются по отдельности (без общих для всех "
                "и исключающих); для проверки тест повторён с исключающими категориями. Для сравнения — поправка "
                "Бонферрони к наименьшему p.",
            )
        )
    else:
        out.append(("Сравнение групп", f"Группировка — {ctx.group_by_label}: {ONE_GROUP}; таблицы даны без критериев."))
    scales = [f for f in q.questions if f.type == "scale"]
    if scales:
        ranges = ", ".join(f"{quoted(f.label)} — от {f.min} до {f.max}" for f in scales)
        dont_know = sorted({o.label for f in scales for o in f.options if o.code in f.missing})
        text = f"Шкалы: {ranges}; каждая точка шкалы — допустимый ответ, подписана она или нет."
        if dont_know:
            text += f" Ответы {', '.join(quoted(x) for x in dont_know)} из средних исключаются."
        if ctx.comparable:
            text += (
                " Группы сравниваются ранговым критерием Уилкоксона (две группы) или Краскела–Уоллиса (больше двух) "
                "в версии для кластерной выборки: ранги ответов сравниваются регрессией с дисперсией по единицам "
                "(как svyranktest пакета survey в R); в таблице scale_tests.csv рядом — обычные критерии "
                "Манна–Уитни и Краскела–Уоллиса, которые считают экспертов независимыми."
            )
        out.append(("Шкалы", text))
    out.append(("Модели", models_text))
    first_id = str(frame["expert_id"].iloc[0]) if len(frame) else ""
    out.append(
        (
            "Анонимность",
            "Отчёт содержит имена экспертов: запуск с --with-names, только для внутреннего использования."
            if with_names
            else "Отчёт не содержит имён экспертов: только их коды"
            + (f" (например, {first_id})" if first_id else "")
            + ". Имена остаются во входных файлах и попадают в отчёт только при явном запуске survey run --with-names.",
        )
    )
    out.append(
        (
            "Воспроизводимость",
            (
                f"Отчёт построен {fmt_date(dt.datetime.fromisoformat(m['started_at']))} "
                if m.get("started_at")
                else "Отчёт построен "
            )
            + f"программой {('survey ' + (m.get('versions') or {}).get('survey', '')).strip()}. "
            "Те же входные файлы дают те же таблицы; версии программ и контрольные суммы SHA-256 всех входных "
            "файлов (ответы, анкета, справочник единиц, кодовая книга, настройки исследования, эталонное кодирование) "
            "приведены ниже, полный список — в run.json.",
        )
    )
    return out
