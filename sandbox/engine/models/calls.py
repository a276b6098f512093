"""The DP model calls of a dataset handle (one method per family, all through one pipeline).

Each method only names its arguments (the broker binds a model's call to this signature
before running it, so an unknown argument of a fixed name is refused early) and hands them
to :func:`sandbox.engine.models.pipeline.fit_model`; a family's own parameters (``C``,
``k``, ``n_components``, ...) are keyword arguments its registry entry validates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.engine.report import Release

if TYPE_CHECKING:
    from sandbox.engine.handle import DatasetHandle


class ModelCalls:
    """``linear_regression``, ``logistic_regression``, ``kmeans``, ``pca``, ``naive_bayes``."""

    def _model(
        self,
        call: str,
        x: object,
        y: object,
        bounds: object,
        epsilon: object,
        params: dict[str, object],
    ) -> Release:
        from sandbox.engine.models.pipeline import fit_model

        handle: DatasetHandle = self  # type: ignore[assignment]
        return fit_model(handle, call, x=x, y=y, bounds=bounds, epsilon=epsilon, params=params)

    def linear_regression(
        self,
        y: object = None,
        x: object = None,
        *,
        bounds: object = None,
        epsilon: object = None,
        **params: object,
    ) -> Release:
        """DP least squares of ``y`` on ``x`` (diffprivlib's functional mechanism):
        coefficients, intercept, DP R^2, residual spread and standard errors.
        """
        return self._model("linear_regression", x, y, bounds, epsilon, params)

    def logistic_regression(
        self,
        y: object = None,
        x: object = None,
        *,
        bounds: object = None,
        epsilon: object = None,
        **params: object,
    ) -> Release:
        """DP logistic regression of the binary (or ``positive=``) target ``y`` on ``x``
        (diffprivlib's objective perturbation): coefficients, intercept, classes.
        """
        return self._model("logistic_regression", x, y, bounds, epsilon, params)

    def kmeans(
        self,
        columns: object = None,
        *,
        bounds: object = None,
        epsilon: object = None,
        **params: object,
    ) -> Release:
        """DP k-means of ``columns`` (``k=``): centroids and DP cluster sizes."""
        return self._model("kmeans", columns, None, bounds, epsilon, params)

    def pca(
        self,
        columns: object = None,
        *,
        bounds: object = None,
        epsilon: object = None,
        **params: object,
    ) -> Release:
        """DP principal components of ``columns`` (``n_components=``) and explained variance."""
        return self._model("pca", columns, None, bounds, epsilon, params)

    def naive_bayes(
        self,
        y: object = None,
        x: object = None,
        *,
        bounds: object = None,
        epsilon: object = None,
        **params: object,
    ) -> Release:
        """DP Gaussian naive Bayes of the categorical ``y`` on ``x``."""
        return self._model("naive_bayes", x, y, bounds, epsilon, params)


class GroupedModelCalls:
    """The model calls on a grouped handle: refused by name (a model is fitted on rows)."""

    def _refused(self, call: str) -> Release:
        from sandbox.engine.validation import InvalidQuery

        raise InvalidQuery(f"{call}(): a model is fitted on rows: call it before group_by()")

    def linear_regression(self, *_args: object, **_options: object) -> Release:
        """Refused: see the class docstring."""
        return self._refused("linear_regression")

    def logistic_regression(self, *_args: object, **_options: object) -> Release:
        """Refused: see the class docstring."""
        return self._refused("logistic_regression")

    def kmeans(self, *_args: object, **_options: object) -> Release:
        """Refused: see the class docstring."""
        return self._refused("kmeans")

    def pca(self, *_args: object, **_options: object) -> Release:
        """Refused: see the class docstring."""
        return self._refused("pca")

    def naive_bayes(self, *_args: object, **_options: object) -> Release:
        """Refused: see the class docstring."""
        return self._refused("naive_bayes")
