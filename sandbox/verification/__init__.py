"""Verification services on conditional datasets (Qingdao art. 13: data service interfaces
"for query or verification").

A provider publishes a service on a conditional dataset: named input fields mapped to its
columns (the first an identifier: the key) and the kind of answer, ``match`` or
``per_field`` (:mod:`~sandbox.verification.services`). A user holding an active grant on the
dataset submits records and gets only those answers, never a value
(:mod:`~sandbox.verification.calls`): inputs are normalised and wildcard or partial inputs
refused (:mod:`~sandbox.verification.normalise`); answers come from keyed hashes of the
version's values, in the same form and with the same work whether they match or not
(:mod:`~sandbox.verification.index`); the grant's quotas per day and per record come from
policy (:mod:`~sandbox.verification.quotas`); a file of records is verified as it streams
in (:mod:`~sandbox.verification.batch`). Every call is audited with counts only and
counted in the statistics (:mod:`~sandbox.verification.usage`).

The package sits on the orchestration layer beside :mod:`sandbox.datasets`: it reads a
version's file through the same readers and integrity checks.
"""
