"""Differential-privacy policies, budgets and accounting (issue #3 builds this package).

Policy code here is pure: it takes data and returns decisions, with no I/O.

- :mod:`~sandbox.policies.budget`: exact :class:`PrivacyCost` values, strict epsilon parsing,
  :class:`BudgetExhausted`.
- :mod:`~sandbox.policies.model`: the :class:`Policy` value and its parts.
- :mod:`~sandbox.policies.documents`: policy documents (YAML, JSON) to and from policies.
- :mod:`~sandbox.policies.layering`: floor, dataset and grant to the effective policy.
- :mod:`~sandbox.policies.accounting`: costs reported as (epsilon, delta); per-query admission.
- :mod:`~sandbox.policies.rowcount`: suppression, rounding and size limits on DP outputs.

The budget ledger that spends budgets lives in :mod:`sandbox.ledger`.
"""

from sandbox.policies.accounting import (
    EpsilonDelta,
    as_epsilon_delta,
    check_query_cost,
    zcdp_to_epsilon,
)
from sandbox.policies.budget import (
    LEDGER_UNITS_PER_ONE,
    Accounting,
    BudgetExhausted,
    PrivacyCost,
    exact,
    parse_delta,
    parse_epsilon,
)
from sandbox.policies.documents import load_text, parse_policy, to_dict, to_yaml
from sandbox.policies.layering import (
    PLATFORM_DEFAULTS,
    PolicyViolation,
    check_dataset_policy,
    check_grant_policy,
    effective_policy,
    find_loosenings,
    platform_defaults,
)
from sandbox.policies.model import (
    JobLimits,
    Policy,
    PolicyLevel,
    ReviewMode,
    RowCountRules,
    VerificationLimits,
)
from sandbox.policies.rowcount import (
    GroupRow,
    OutputTooLarge,
    ReportLine,
    RowAction,
    RowCountReport,
    RowCountResult,
    apply_row_count_rules,
)

__all__ = [
    "LEDGER_UNITS_PER_ONE",
    "PLATFORM_DEFAULTS",
    "Accounting",
    "BudgetExhausted",
    "EpsilonDelta",
    "GroupRow",
    "JobLimits",
    "OutputTooLarge",
    "Policy",
    "PolicyLevel",
    "PolicyViolation",
    "PrivacyCost",
    "ReportLine",
    "ReviewMode",
    "RowAction",
    "RowCountReport",
    "RowCountResult",
    "RowCountRules",
    "VerificationLimits",
    "apply_row_count_rules",
    "as_epsilon_delta",
    "check_dataset_policy",
    "check_grant_policy",
    "check_query_cost",
    "effective_policy",
    "exact",
    "find_loosenings",
    "load_text",
    "parse_delta",
    "parse_epsilon",
    "parse_policy",
    "platform_defaults",
    "to_dict",
    "to_yaml",
    "zcdp_to_epsilon",
]
