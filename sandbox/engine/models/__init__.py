"""DP models fitted on the trusted side (issue #14): the untrusted model never sees a row.

A DP handle's model call (``linear_regression``, ``logistic_regression``, ``kmeans``, ``pca``,
``naive_bayes``) is planned and charged like an aggregate; the engine then reads the bounded
copy (after ``where(...)`` and derived columns), builds a :class:`~.inputs.ModelInput` of
clipped columns and hands it to the family's ``fit`` function, which calls the library made
for the mechanism (IBM's diffprivlib) at the per-row epsilon the charge pays for.
"""
