"""What administrators and data collectors get: fillable Excel templates, the XLSForm for
KoboToolbox/ODK, and consolidation of many filled files into one table (``survey ingest``).

May import: :mod:`survey.inputs`, :mod:`survey.spec`, :mod:`survey.base`, :mod:`survey.errors`.
"""
