"""The client's side of ``/v1/jobs`` and ``/v1/algorithms`` (``api/routers/jobs.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from sandbox_client._http import JSON, ClientBase, drop_none
from sandbox_client.errors import SandboxClientError


class JobsMixin(ClientBase):
    """Jobs: submit, follow, read the log, cancel; the vetted algorithm models they may name."""

    def submit_job(
        self,
        datasets: list[str],
        *,
        source: str | None = None,
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        kind: str = "dp",
        grant: str | None = None,
        profile: str | None = None,
    ) -> JSON:
        """Submit a job: a model's ``source`` or the name of a vetted ``model``, with its
        parameters, under the active grant that covers ``datasets`` (or the named ``grant``),
        in the runtime ``profile`` (``restricted``, the server's default, or ``scientific``:
        ordinary Python with numpy, pandas, scipy, statsmodels, scikit-learn, matplotlib).
        """
        return self._obj(
            "POST",
            "/jobs",
            json=drop_none(
                {
                    "datasets": list(datasets),
                    "source": source,
                    "model": model,
                    "params": dict(params or {}),
                    "kind": kind,
                    "grant": grant,
                    "profile": profile,
                }
            ),
        )

    def list_jobs(self, state: str | None = None, limit: int = 100) -> list[JSON]:
        """The jobs you may see, newest first."""
        return self._list("GET", "/jobs", params=drop_none({"state": state, "limit": limit}))

    def get_job(self, job_id: int) -> JSON:
        """One job with its state and progress."""
        return self._obj("GET", f"/jobs/{job_id}")

    def job_log(self, job_id: int) -> JSON:
        """A job's log lines (``held`` for a raw-access job until review)."""
        return self._obj("GET", f"/jobs/{job_id}/log")

    def request_log_review(self, job_id: int) -> JSON:
        """Ask for your job's held log and errors to be reviewed (a job that failed, was
        rejected or cancelled, or waits in review); the job's ``log_review`` says where
        the request stands (``requested``, ``released``, ``refused``).
        """
        return self._obj("POST", f"/jobs/{job_id}/log/release-request")

    def cancel_job(self, job_id: int) -> JSON:
        """Cancel a job (its owner)."""
        return self._obj("POST", f"/jobs/{job_id}/cancel")

    def wait_for_job(
        self,
        job_id: int,
        *,
        timeout: float = 600.0,
        interval: float = 0.1,
        until: Callable[[JSON], bool] | None = None,
        on_update: Callable[[JSON], None] | None = None,
    ) -> JSON:
        """Poll a job until it is final or has left the running part of its lifecycle
        (``pending_review`` included), or ``until`` says so; ``on_update`` sees each state.

        Raises:
            SandboxClientError: The job did not get there within ``timeout`` seconds.
        """
        done = until or (lambda job: bool(job["final"]) or job["state"] == "pending_review")
        deadline = time.monotonic() + timeout
        delay = interval
        while True:
            job = self.get_job(job_id)
            if on_update is not None:
                on_update(job)
            if done(job):
                return job
            if time.monotonic() >= deadline:
                raise SandboxClientError(
                    f"job {job_id} is still {job['state']} after {timeout:.0f} s"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def list_algorithms(self) -> list[JSON]:
        """The vetted algorithm models a job may name."""
        return self._list("GET", "/algorithms")

    def get_algorithm(self, name: str) -> JSON:
        """One vetted model with its source."""
        return self._obj("GET", f"/algorithms/{name}")
