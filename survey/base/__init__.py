"""Small tools every stage uses: text normalisation, missing values, the lemmatizer, safe output
files (atomic writes, formula-safe CSV), workbook helpers, the background worker and versions.

May import: :mod:`survey.errors` only.
"""
