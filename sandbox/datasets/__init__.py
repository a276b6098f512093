"""Datasets as the platform holds them: orchestrations over the catalog, storage and the store.

- :mod:`registry`: registering datasets and versions (ingest through :mod:`sandbox.storage`,
  the catalog entry and its dictionary in the store, audited in one transaction);
- :mod:`reads`: reads enforced by open attribute (downloads and pages of unconditional data;
  metadata, quality and the synthetic preview of conditional data; never its rows);
- :mod:`integrity`: a damaged version file refused before it is served, put on record for
  its provider, and cleared by a full check once restored;
- :mod:`uploads`: staged uploads' owners and expiry.

They live apart from :mod:`sandbox.catalog`, whose value types and rules sit below the
platform, because they need the platform itself (its data store and staging area).
"""
