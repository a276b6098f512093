"""The disclosure rules, one module each; :mod:`sandbox.disclosure.checks` walks a result
and applies them.

- cells of a verified table: :mod:`~.redaction`, :mod:`~.min_count`, :mod:`~.dominance`
  (``dominance_nk``, ``dominance_p``), :mod:`~.rounding`, and the cells it does not list:
  :mod:`~.zeros`;
- a verified regression: :mod:`~.min_dof`;
- whatever the platform did not compute: :mod:`~.unverifiable`, :mod:`~.row_level`;
- tables against earlier released ones: :mod:`~.differencing`;
- the whole result: :mod:`~.size` (``max_cells``, ``max_bytes``);
- a DP job's releases: :mod:`~.dp`.

Each builds :class:`~sandbox.disclosure.model.CheckLine` objects and nothing else: the
thresholds come from :class:`~.thresholds.Thresholds`, the places from
:mod:`sandbox.disclosure.labels`. Pure: no I/O.
"""
