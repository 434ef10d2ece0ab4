"""Reading responses: opening files safely (limits, encodings, zip and XML checks), the table and
filled-template readers (raw records that remember their cell), parsing one cell by question
type, and validation into accepted data plus a report of every problem.

May import: :mod:`survey.spec`, :mod:`survey.base`, :mod:`survey.errors`.
"""
