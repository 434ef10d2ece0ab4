"""Analysis of accepted, coded responses: the analysis frame and its groups, multiple-response
and closed-question tables, tests, models, and :func:`survey.analysis.run.analyse`, which returns
every table by name (:class:`survey.analysis.run.AnalysisTables`).

May import: :mod:`survey.inputs`, :mod:`survey.spec`, :mod:`survey.base`, :mod:`survey.errors`.
"""
