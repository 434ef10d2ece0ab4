"""Files for other statistics programs: the SPSS ``.sav`` with labels, missing values and measures.

May import: :mod:`survey.inputs`, :mod:`survey.spec`, :mod:`survey.base`, :mod:`survey.errors`.
"""
