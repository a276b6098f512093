"""Oversight of opened data: complaints and leaks, objections, usage and risk reports with
enforcement, data products, and the platform's figures (REQUIREMENTS.md, "Records,
complaints, objections, enforcement").

- :mod:`complaints`: complaints of infringed privacy or trade secrets, with evidence,
  answered within 10 working days by ending, restoring or reprocessing the dataset (its
  evidence files in :mod:`evidence`; what complaints and objections share, as cases, in
  :mod:`common`);
- :mod:`suspensions`: suspending a dataset at once and resolving the suspension (the
  read side, :func:`~sandbox.catalog.suspension.is_suspended`, lives in the catalog so
  that every use of data can ask it);
- :mod:`trace`: every use of a dataset (version), for a suspected leak;
- :mod:`objections`: errors and omissions, answered within 10 working days;
- :mod:`reports`, :mod:`enforcement`: usage and risk reports at each grant's interval,
  the missing ones flagged, rectification and termination;
- :mod:`products`: data products with their sources and dates;
- :mod:`stats`: ``GET /v1/stats``.

Like :mod:`sandbox.access`, services take a session and the acting
:class:`~sandbox.identity.model.Actor`, check roles themselves and audit every step in the
caller's transaction; deadlines are stages of :mod:`sandbox.access.stages`.
"""

from sandbox.catalog.suspension import Suspension, is_suspended

__all__ = ["Suspension", "is_suspended"]
