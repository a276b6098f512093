"""The privacy-preserving data sandbox: the domain core (no HTTP in here).

Packages, lowest layer first (``python scripts/import_layers.py`` checks that no import runs
back up; ``api`` sits on top of all of them):

- foundations: :mod:`sandbox.errors` (typed domain errors), :mod:`sandbox.config`
  (settings), :mod:`sandbox.clock` (the one UTC clock), :mod:`sandbox.workdays` (working-day
  calendar);
- pure rules and the isolated runtime: :mod:`sandbox.policies` (DP policies, budgets,
  accounting, layering), :mod:`sandbox.disclosure` (output checks of results),
  :mod:`sandbox.runtime` (compile and isolate algorithm models; imports nothing else of
  ours), :mod:`sandbox.store` (SQLAlchemy models, Alembic migrations), :mod:`sandbox.client`
  (re-exports the HTTP client, a distribution of its own in ``client/`` that imports
  nothing of ours);
- records: :mod:`sandbox.identity` (accounts and tokens), :mod:`sandbox.audit`
  (hash-chained trail), :mod:`sandbox.catalog` (entries, dictionaries, open attributes,
  suspensions, attribute changes), :mod:`sandbox.storage` (staging, Parquet versions,
  quality), :mod:`sandbox.ledger` (privacy-budget accounts), :mod:`sandbox.policy_store`
  (policy documents in force);
- the access workflow :mod:`sandbox.access` (eligibility, applications, grants, requests),
  then :mod:`sandbox.platform` (the assembled stores);
- orchestrations over the platform: :mod:`sandbox.datasets` (registering and reading
  datasets), :mod:`sandbox.engine` (the trusted DP query engine), :mod:`sandbox.jobs`
  (algorithm-model jobs on Ray, the output checks and the release step),
  :mod:`sandbox.review` (the review of results), :mod:`sandbox.oversight` (complaints,
  objections, suspensions, usage reports, statistics);
- entry points: :mod:`sandbox.cli` (the ``sandbox`` command) and :mod:`sandbox.demo`.
"""
