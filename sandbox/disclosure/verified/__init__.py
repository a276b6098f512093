"""Verified outputs: the trusted-side exact aggregates behind a raw-access job's ``ctx`` helpers.

A raw-access model asks the platform, by name, for a table (:func:`crosstab`: counts, or
the sum or mean of a value, per combination of key values) or a regression summary
(:func:`regression`: ordinary least squares). The platform computes it here, on the
trusted side, from the raw Arrow table, and keeps beside each cell the facts the output
checks need and the model never sees: the rows behind the cell and, for sums and means,
the contributions of its largest contributors (per privacy unit when the dataset names
one). The model receives :meth:`VerifiedOutput.to_output`, a marked JSON object; when it
returns that object unaltered, :func:`sandbox.disclosure.checks.check_result` can verify
every cell.

- :mod:`~.outputs`: the outputs and their facts (:class:`VerifiedTable`,
  :class:`VerifiedRegression`, :class:`CellFacts`);
- :mod:`~.arguments`: checking the helpers' arguments and ``where`` conditions
  (:class:`HelperError`);
- :mod:`~.cross_tabulation`: :func:`crosstab`;
- :mod:`~.least_squares`: :func:`regression`.

Errors are :class:`HelperError`: they name the argument at fault and never quote a data
value, because the model may let the message reach its job's error, which its user sees.

Rows with a null (or, for floating columns, a non-finite) value in a sum's or mean's value
column, or in any variable of a regression, are left out, as SQL aggregates do. Null keys
(and NaN or infinite floating keys) form one group of their own, keyed ``null``. A ``where``
condition never holds for a null value (``!=`` included).
"""

from sandbox.disclosure.verified.arguments import OPERATORS, HelperError
from sandbox.disclosure.verified.cross_tabulation import (
    AGGREGATES,
    MAX_CELLS,
    MAX_KEYS,
    TOP_KEPT,
    crosstab,
)
from sandbox.disclosure.verified.least_squares import MAX_PREDICTORS, regression
from sandbox.disclosure.verified.outputs import (
    CellFacts,
    VerifiedOutput,
    VerifiedRegression,
    VerifiedTable,
)

__all__ = [
    "AGGREGATES",
    "MAX_CELLS",
    "MAX_KEYS",
    "MAX_PREDICTORS",
    "OPERATORS",
    "TOP_KEPT",
    "CellFacts",
    "HelperError",
    "VerifiedOutput",
    "VerifiedRegression",
    "VerifiedTable",
    "crosstab",
    "regression",
]
