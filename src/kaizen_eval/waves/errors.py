"""Errors and warnings of the survey-waves stage, each a subclass of the package's own.

Every class here is a :class:`~kaizen_eval._validation.KaizenError` (so a ``ValueError``), which
the command line reports without a traceback. The message names the wave, column and firms at
fault and what to do; values of columns flagged as personal data are masked.
"""

from __future__ import annotations

from kaizen_eval._validation import KaizenError, KaizenWarning


class WavesWarning(KaizenWarning):
    """Legitimate but fragile survey data: the loader repaired or flagged something."""


class EmptyWaveError(KaizenError):
    """A wave has no rows (or only blank rows): every firm would look attrited."""


class IdMismatchError(KaizenError):
    """Most firm ids of a wave do not match the first wave: the ids drifted between waves."""


class IdPrecisionError(KaizenError):
    """Firm ids stored as floating-point numbers too large to hold every digit."""


class NonFiniteValueError(KaizenError):
    """An amount is infinite or too large for arithmetic (``inf``, ``1e308``)."""


class CurrencyError(KaizenError):
    """Amounts in several currencies, converted with rates that do not say which is which."""


class LabelConflictError(KaizenError):
    """Value labels of one column differ across waves in a way that cannot be reconciled."""


class FormError(KaizenError):
    """An XLSForm that cannot be read: a sheet, a column or a choice list is missing."""


class FormMatchError(KaizenError):
    """Export columns that cannot be matched one-to-one with the variables of the form."""


class UnsupportedExpressionError(KaizenError):
    """A relevance or constraint expression outside the XLSForm subset the evaluator knows."""


class DuplicateSubmissionError(KaizenError):
    """One firm submitted more than once in a wave, with answers that differ."""


__all__ = [
    "CurrencyError",
    "DuplicateSubmissionError",
    "EmptyWaveError",
    "FormError",
    "FormMatchError",
    "IdMismatchError",
    "IdPrecisionError",
    "LabelConflictError",
    "NonFiniteValueError",
    "UnsupportedExpressionError",
    "WavesWarning",
]
