"""Coding the open answers: the rule coder (codebook patterns, negation scope, evidence), batch
coding of large files, the review loop (coding sheet and overrides), the classifier that
suggests codes, agreement of two codings, and keyword in context.

May import: :mod:`survey.inputs`, :mod:`survey.spec`, :mod:`survey.base`, :mod:`survey.errors`.
"""
