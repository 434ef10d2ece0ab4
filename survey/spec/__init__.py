"""What a study *is*, read from its files: the questionnaire, the codebook, the units gazetteer and
its geography, the template layout derived from the questionnaire, the study's own texts, and
where the default files are.

May import: :mod:`survey.base`, :mod:`survey.errors`.
"""
