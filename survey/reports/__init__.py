"""Summaries for readers: Russian number formatting, the report model, one builder per section
(findings, tables, methodology), charts, and the Excel, PDF and HTML writers. Nothing is
recomputed here; every number comes from the analysis tables.

May import: :mod:`survey.analysis`, :mod:`survey.spec`, :mod:`survey.base`, :mod:`survey.errors`.
"""
