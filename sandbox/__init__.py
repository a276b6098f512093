"""The privacy-preserving data sandbox: the domain core (no HTTP in here).

Subpackages: :mod:`sandbox.store` (metadata store), :mod:`sandbox.identity` (accounts and
tokens), :mod:`sandbox.audit` (hash-chained trail), :mod:`sandbox.catalog` (entries,
dictionaries, open attributes), :mod:`sandbox.storage` (uploads, Parquet versions, quality),
:mod:`sandbox.policies` (DP policies and budgets), :mod:`sandbox.runtime` (isolated
execution), :mod:`sandbox.client` (HTTP client) and :mod:`sandbox.cli` (the ``sandbox``
command).
"""
