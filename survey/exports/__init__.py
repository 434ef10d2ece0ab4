"""Files for other statistics programs: the SPSS ``.sav`` with labels, missing values, measures,
print formats and multiple-response sets (:mod:`survey.exports.spss`), the sets written into the
file's dictionary and as ``MRSETS`` syntax (:mod:`survey.exports.mrsets`).

May import: :mod:`survey.inputs`, :mod:`survey.spec`, :mod:`survey.base`, :mod:`survey.errors`.
"""
