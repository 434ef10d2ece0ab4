"""What a study says about itself beyond its questionnaire: the synthetic-data notice."""

from __future__ import annotations

SYNTHETIC_NOTICE = (
    "Данные синтетические: ответы сгенерированы программой для демонстрации и проверки "
    "методики и не являются ответами реальных экспертов."
)
