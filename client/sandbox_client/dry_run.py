"""The client's side of ``POST /v1/jobs/dry-run`` and ``GET /v1/datasets/{name}/mock``
(``api/routers/jobs.py``): a model tried on its datasets' mock tables, everything shown at
once, nothing charged; and the mock tables themselves, for a run on your own machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from sandbox_client._http import JSON, ClientBase, drop_none

DRY_RUN_TIMEOUT = 900.0
"""Seconds a dry run may take to answer: the server runs it while the request waits,
bounded by the policy's wall time (600 s under the shipped floor)."""


def model_source(model: str | os.PathLike[str]) -> str:
    """A model's source: ``model`` itself, or the text of the file it names (a path, or a
    string naming an existing ``.py`` file).
    """
    if isinstance(model, os.PathLike):
        return Path(model).read_text(encoding="utf-8")
    if model.endswith(".py") and "\n" not in model and Path(model).is_file():
        return Path(model).read_text(encoding="utf-8")
    return model


class DryRunMixin(ClientBase):
    """Dry runs: try a model on mock data before a job spends budget and waits for review."""

    def dry_run(
        self,
        model: str | os.PathLike[str],
        datasets: Sequence[str],
        params: Mapping[str, Any] | None = None,
        *,
        kind: str = "dp",
        grant: str | None = None,
        vetted: bool = False,
        profile: str | None = None,
        timeout: float | None = DRY_RUN_TIMEOUT,
    ) -> JSON:
        """Run a model on the mock tables of ``datasets`` (generated from their data
        dictionaries) in the sandbox of a real job, under the grant that covers them.

        Args:
            model: The model's source, or the path of its file; with ``vetted`` the name
                of a vetted model.
            datasets: The datasets it reads.
            params: Its parameters.
            kind: ``dp``, or ``raw`` where the grant allows it (``ctx.table`` then gives
                the mock table).
            grant: The grant to run under, when several cover the datasets.
            vetted: ``model`` names a vetted model.
            profile: The runtime profile (``restricted``, the server's default, or
                ``scientific`` where the policy allows it).
            timeout: Seconds to wait for the answer.

        Returns:
            The whole outcome: ``outcome``, ``result``, ``log``, ``errors`` (with the
            model's line), ``releases`` and ``refusals`` of its DP calls, ``spend`` per
            dataset (what it would cost, what the grant would have left) and ``checks``
            (``would_be``: what the release checks would make of the result). ``charged``
            is always false.
        """
        source = None if vetted else model_source(model)
        name = str(model) if vetted else None
        return self._obj(
            "POST",
            "/jobs/dry-run",
            timeout=httpx.Timeout(timeout),
            json=drop_none(
                {
                    "datasets": list(datasets),
                    "source": source,
                    "model": name,
                    "params": dict(params or {}),
                    "kind": kind,
                    "grant": grant,
                    "profile": profile,
                }
            ),
        )

    def mock_table(self, dataset: str, *, grant: str | None = None) -> JSON:
        """A dataset's mock table for a run on your own machine (``sandbox run --mock``):
        the rows a dry run reads (``parquet_base64``), the effective ``policy`` under your
        grant, the ``job_kinds`` it allows and what it has left. Keep the answer to run
        offline later.
        """
        return self._obj("GET", f"/datasets/{dataset}/mock", params=drop_none({"grant": grant}))
