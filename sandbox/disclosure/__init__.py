"""Automated disclosure checks of a job's result, and the exact aggregates behind them.

Pure and I/O-free: no database, no files, no network.

- :mod:`sandbox.disclosure.model`: the check report (:class:`CheckLine`, :class:`CheckReport`).
- :mod:`sandbox.disclosure.verified`: the trusted-side exact aggregates behind a raw-access
  job's ``ctx.crosstab`` and ``ctx.regression``, with the counts and contributions behind
  each cell (:func:`crosstab`, :func:`regression`).
- :mod:`sandbox.disclosure.checks`: :func:`check_result`, the walk of a result that applies
  the checks every result passes before it can be reviewed, one module each in
  :mod:`sandbox.disclosure.rules` (minimum cell count, dominance, zero cells, degrees of
  freedom, row-level output, differencing, size, unverifiable values, the platform's
  redaction and rounding, and the report of a DP job's releases).
- :mod:`sandbox.disclosure.inputs`: the input values a result is compared with
  (:func:`input_values`); :mod:`sandbox.disclosure.facts`: the facts kept of released
  outputs for differencing; :mod:`sandbox.disclosure.labels`: how a report names places.
"""

from sandbox.disclosure.checks import check_result
from sandbox.disclosure.facts import (
    ReleasedOutputFacts,
    facts_from_dict,
    facts_of,
    facts_to_dict,
)
from sandbox.disclosure.inputs import InputValues, input_values
from sandbox.disclosure.model import CheckLine, CheckReport
from sandbox.disclosure.verified import (
    CellFacts,
    HelperError,
    VerifiedOutput,
    VerifiedRegression,
    VerifiedTable,
    crosstab,
    regression,
)

__all__ = [
    "CellFacts",
    "CheckLine",
    "CheckReport",
    "HelperError",
    "InputValues",
    "ReleasedOutputFacts",
    "VerifiedOutput",
    "VerifiedRegression",
    "VerifiedTable",
    "check_result",
    "crosstab",
    "facts_from_dict",
    "facts_of",
    "facts_to_dict",
    "input_values",
    "regression",
]
