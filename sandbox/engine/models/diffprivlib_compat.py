"""Import IBM's diffprivlib under the scikit-learn this project pins.

diffprivlib 0.6.6 (its latest release) imports ``DOUBLE`` and ``DTYPE`` from
``sklearn.tree._tree`` for its random forest; scikit-learn 1.9 no longer exports them, so
``import diffprivlib`` fails before any model can be used. They were the aliases
``numpy.float64`` and ``numpy.float32`` (scikit-learn's ``_tree.pxd``); restoring exactly those
two names, only when missing, lets the package import. No model used here (k-means, PCA,
naive Bayes, linear and logistic regression) touches them; only diffprivlib's forest would.

Import diffprivlib through this module (``from sandbox.engine.models.diffprivlib_compat
import diffprivlib``) so the names exist first.
"""

from __future__ import annotations

import numpy
import sklearn.tree._tree as _sklearn_tree  # type: ignore[import-untyped]

for _name, _dtype in (("DOUBLE", numpy.float64), ("DTYPE", numpy.float32)):
    if not hasattr(_sklearn_tree, _name):
        setattr(_sklearn_tree, _name, _dtype)

import diffprivlib  # type: ignore[import-untyped]  # noqa: E402  (needs the names above)
import diffprivlib.mechanisms  # type: ignore[import-untyped]  # noqa: E402
import diffprivlib.models  # type: ignore[import-untyped]  # noqa: E402
import diffprivlib.models.utils  # type: ignore[import-untyped]  # noqa: E402

VERSION: str = str(diffprivlib.__version__)

__all__ = ["VERSION", "diffprivlib"]
