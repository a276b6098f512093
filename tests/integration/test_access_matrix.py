"""Every endpoint against every role and against no token, with the expected allow or deny.

A case builds a fresh request (so side effects of one role's attempt never decide another
role's outcome) and names the roles that are allowed. An allowed call must succeed (2xx);
any other role gets 403 (or 404 where the object is hidden from it); no token gets 401.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.support.datafiles import csv_bytes, metadata, parquet_bytes, people_table, register
from tests.support.ray_cluster import RAY_ENV
from tests.support.server import Accounts, LiveServer, start_server, stop_server

pytestmark = pytest.mark.server

ROLES = ("admin", "provider", "other_provider", "user", "reviewer", "authority", "auditor")
EVERYONE = frozenset(ROLES)
OVERSIGHT = frozenset({"admin", "authority", "auditor"})
PROVIDERS = frozenset({"provider", "other_provider"})
_counter = itertools.count()


JOB_SOURCE = '"""Matrix job."""\n\ndef run(ctx):\n    return 1\n'
FIGURE = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
    b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00"
    b"\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
"""A 1x1 PNG (a figure part the release checks accept)."""
FIGURE_SOURCE = (
    '"""Matrix job with a figure."""\n\ndef run(ctx):\n'
    f'    return {{"n": 1, "chart": ctx.figure({FIGURE!r}, name="chart.png")}}\n'
)


@dataclass
class Context:
    server: LiveServer
    accounts: Accounts
    job_grant: int | None = None

    def as_role(self, role: str) -> httpx.Client:
        return self.server.client(self.accounts[role].token)

    def fresh_upload(self, role: str = "provider") -> str:
        with self.as_role(role) as provider:
            return str(
                provider.post("/v1/uploads", content=parquet_bytes(people_table())).json()[
                    "upload_id"
                ]
            )

    def pending_change(self) -> int:
        with self.as_role("provider") as provider:
            pending = provider.get("/v1/attribute-changes?status=pending&dataset=m_open").json()
            if pending:
                return int(pending[0]["id"])
            created = provider.post(
                "/v1/datasets/m_open/attribute-changes",
                json={"to_attribute": "conditional", "legal_basis": "matrix test basis"},
            )
            assert created.status_code == 201, created.text
            return int(created.json()["id"])

    def victim_user(self) -> int:
        with self.as_role("admin") as admin:
            made = admin.post(
                "/v1/users", json={"username": f"victim{next(_counter)}", "role": "user"}
            )
            return int(made.json()["user"]["id"])

    def application(self, *, in_provider_review: bool = False) -> int:
        with self.as_role("user") as user:
            made = user.post("/v1/applications", json=application_body())
            assert made.status_code == 201, made.text
        app_id = int(made.json()["id"])
        if in_provider_review:
            with self.as_role("authority") as authority:
                assert (
                    authority.post(
                        f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}
                    ).status_code
                    == 200
                )
        return app_id

    def application_in(self, state: str) -> int:
        """An application of ``user`` that was returned, refused, or refused and disputed."""
        if state == "returned":
            app_id = self.application()
            self._step(
                "authority",
                f"/v1/applications/{app_id}/form-review",
                {"outcome": "return", "reason": "matrix"},
            )
            return app_id
        app_id = self.application(in_provider_review=True)
        self._step(
            "provider",
            f"/v1/applications/{app_id}/decision",
            {"outcome": "refuse", "reason": "matrix", "legal_basis": "matrix basis"},
        )
        if state == "re_review":
            self._step("user", f"/v1/applications/{app_id}/re-review", {"reason": "matrix"})
        return app_id

    def _step(self, role: str, path: str, body: dict[str, Any]) -> None:
        with self.as_role(role) as client:
            done = client.post(path, json=body)
            assert done.status_code == 200, done.text

    def grant(self, state: str = "pending_acceptance") -> int:
        app_id = self.application(in_provider_review=True)
        with self.as_role("provider") as provider:
            done = provider.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "approve", "grant_budget": 1},
            )
            assert done.status_code == 200, done.text
        grant_id = int(done.json()["grant_id"])
        if state in ("active", "suspended"):
            with self.as_role("user") as user:
                assert (
                    user.post(
                        f"/v1/grants/{grant_id}/accept", json={"agreement_version": "2026.1"}
                    ).status_code
                    == 200
                )
        if state == "suspended":
            with self.as_role("provider") as provider:
                assert (
                    provider.post(
                        f"/v1/grants/{grant_id}/suspend", json={"reason": "matrix"}
                    ).status_code
                    == 200
                )
        return grant_id

    def demand(self, state: str = "submitted") -> int:
        with self.as_role("user") as user:
            made = user.post(
                "/v1/demands",
                json={
                    "description": "matrix data",
                    "provider_org_id": self.accounts["provider"].organisation_id,
                },
            )
            assert made.status_code == 201, made.text
        demand_id = int(made.json()["id"])
        if state in ("provider_review", "agreed"):
            with self.as_role("authority") as authority:
                assert (
                    authority.post(
                        f"/v1/demands/{demand_id}/form-review", json={"outcome": "pass"}
                    ).status_code
                    == 200
                )
        if state == "agreed":
            with self.as_role("provider") as provider:
                assert (
                    provider.post(
                        f"/v1/demands/{demand_id}/answer", json={"outcome": "agree"}
                    ).status_code
                    == 200
                )
        if state in ("refused", "re_review"):
            self._step("authority", f"/v1/demands/{demand_id}/form-review", {"outcome": "pass"})
            self._step(
                "provider",
                f"/v1/demands/{demand_id}/answer",
                {"outcome": "refuse", "reason": "matrix"},
            )
        if state == "re_review":
            self._step("user", f"/v1/demands/{demand_id}/re-review", {"reason": "matrix"})
        return demand_id

    def job(self, source: str = JOB_SOURCE) -> int:
        """A job of ``user`` that finished its run and waits for review (cancellable)."""
        if self.job_grant is None:
            self.job_grant = self.grant("active")
        with self.as_role("user") as user:
            made = user.post("/v1/jobs", json={"datasets": ["m_cond"], "source": source})
            assert made.status_code == 201, made.text
            job_id = int(made.json()["id"])
            deadline = time.monotonic() + 60
            while user.get(f"/v1/jobs/{job_id}").json()["state"] != "pending_review":
                assert time.monotonic() < deadline, "the matrix job did not finish"
                time.sleep(0.05)
        return job_id

    def released_job(self, source: str = JOB_SOURCE) -> int:
        """A job of ``user`` whose result the reviewer released."""
        job_id = self.job(source)
        with self.as_role("reviewer") as reviewer:
            done = reviewer.post(f"/v1/reviews/{job_id}/decision", json={"outcome": "approve"})
            assert done.status_code == 200, done.text
        return job_id

    def complaint(self) -> int:
        with self.as_role("user") as user:
            made = user.post(
                "/v1/complaints",
                json={"dataset": "m_cond", "kind": "privacy", "description": "matrix"},
            )
            assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def evidence(self) -> tuple[int, int]:
        complaint_id = self.complaint()
        with self.as_role("user") as user:
            made = user.post(f"/v1/complaints/{complaint_id}/evidence", content=b"proof")
            assert made.status_code == 201, made.text
        return complaint_id, int(made.json()["id"])

    def objection(self) -> int:
        with self.as_role("user") as user:
            made = user.post(
                "/v1/objections",
                json={"dataset": "m_cond", "kind": "error", "description": "matrix"},
            )
            assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def suspension(self, wanted: bool) -> None:
        """Put dataset m_susp in the wanted state (suspended or not)."""
        with self.as_role("provider") as provider:
            history = provider.get("/v1/datasets/m_susp/suspensions").json()
            now = bool(history) and history[0]["in_force"]
            if now and not wanted:
                done = provider.post(
                    "/v1/datasets/m_susp/suspension/resolve", json={"outcome": "restore"}
                )
            elif wanted and not now:
                done = provider.post("/v1/datasets/m_susp/suspend", json={"reason": "matrix"})
            else:
                return
            assert done.status_code in (200, 201), done.text

    def report(self) -> int:
        grant_id = self.grant("active")
        with self.as_role("user") as user:
            made = user.post("/v1/usage-reports", json=report_body(grant_id))
            assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def product(self) -> int:
        with self.as_role("user") as user:
            made = user.post("/v1/data-products", json=product_body())
            assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def victim_token(self) -> int:
        with self.as_role("admin") as admin:
            made = admin.post(
                "/v1/tokens",
                json={"user_id": self.accounts["user"].id, "name": f"victim{next(_counter)}"},
            )
            return int(made.json()["info"]["id"])


Request = tuple[str, str, dict[str, Any]]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Context, str], Request]
    allowed: frozenset[str]
    hidden_status: int = 403
    anonymous_allowed: bool = False
    overrides: dict[str, int] = field(default_factory=dict)
    """Roles whose refusal has another status than ``hidden_status``."""


def get(path: str) -> Callable[[Context, str], Request]:
    return lambda _ctx, _role: ("GET", path, {})


def post(
    path: str, body: dict[str, Any] | Callable[[Context], dict[str, Any]]
) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        payload = body(ctx) if callable(body) else body
        return "POST", path, {"json": payload}

    return build


def _own_token(ctx: Context, role: str) -> Request:
    with ctx.as_role(role) as client:
        made = client.post("/v1/tokens", json={"name": "to revoke"}).json()
    return "DELETE", f"/v1/tokens/{made['info']['id']}", {}


def _register(ctx: Context, role: str) -> Request:
    uploader = role if role in ("provider", "other_provider") else "provider"
    body = {
        **metadata(f"m_new{next(_counter)}"),
        "source": {"upload_id": ctx.fresh_upload(uploader)},
    }
    return "POST", "/v1/datasets", {"json": body}


def _add_version(ctx: Context, _role: str) -> Request:
    return (
        "POST",
        "/v1/datasets/m_cond/versions",
        {"json": {"source": {"upload_id": ctx.fresh_upload()}}},
    )


def _upload(_ctx: Context, _role: str) -> Request:
    return "POST", "/v1/uploads", {"content": csv_bytes(people_table(5))}


def _discard_upload(ctx: Context, _role: str) -> Request:
    return "DELETE", f"/v1/uploads/{ctx.fresh_upload()}", {}


def _decide(ctx: Context, _role: str) -> Request:
    return (
        "POST",
        f"/v1/attribute-changes/{ctx.pending_change()}/decision",
        {"json": {"approve": False, "note": "matrix"}},
    )


def _deactivate(ctx: Context, _role: str) -> Request:
    return "POST", f"/v1/users/{ctx.victim_user()}/deactivate", {}


def _eligibility(ctx: Context, _role: str) -> Request:
    return (
        "POST",
        f"/v1/users/{ctx.accounts['user'].id}/eligibility",
        {"json": {"fact": "real_name_verified", "value": "yes"}},
    )


MATRIX_PASSWORD = "matrix password, long enough"


def _password_account(ctx: Context) -> str:
    """A new user account with :data:`MATRIX_PASSWORD`; its login."""
    login = f"signer{next(_counter)}"
    with ctx.as_role("admin") as admin:
        made = admin.post(
            "/v1/users", json={"username": login, "role": "user", "password": MATRIX_PASSWORD}
        )
        assert made.status_code == 201, made.text
    return login


def _sign_in(ctx: Context, _role: str) -> Request:
    body = {"username": _password_account(ctx), "password": MATRIX_PASSWORD}
    return "POST", "/v1/sessions", {"json": body}


def _register_account(_ctx: Context, _role: str) -> Request:
    body = {
        "username": f"visitor{next(_counter)}",
        "password": MATRIX_PASSWORD,
        "display_name": "Matrix Visitor",
        "email": "visitor@example.org",
    }
    return "POST", "/v1/accounts", {"json": body}


def _own_password(ctx: Context, role: str) -> Request:
    """The role's password is first reset to a known one, then changed by the role itself."""
    with ctx.as_role("admin") as admin:
        reset = admin.put(
            f"/v1/users/{ctx.accounts[role].id}/password",
            json={"new_password": MATRIX_PASSWORD},
        )
        assert reset.status_code == 200, reset.text
    body = {"current_password": MATRIX_PASSWORD, "new_password": MATRIX_PASSWORD + "!"}
    return "PUT", "/v1/users/me/password", {"json": body}


def _reset_password(ctx: Context, _role: str) -> Request:
    return (
        "PUT",
        f"/v1/users/{ctx.victim_user()}/password",
        {"json": {"new_password": MATRIX_PASSWORD}},
    )


def _other_user(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/users/{ctx.accounts['user'].id}", {}


def _others_token(ctx: Context, _role: str) -> Request:
    return "DELETE", f"/v1/tokens/{ctx.victim_token()}", {}


def application_body() -> dict[str, Any]:
    start = date.today()
    return {
        "title": "matrix",
        "reason": "r",
        "type": "dataset",
        "datasets": ["m_cond"],
        "period_start": start.isoformat(),
        "period_end": (start + timedelta(days=30)).isoformat(),
        "results_form": "tables",
        "scenario": "s",
        "security_measures": "m",
        "commitment_signed": True,
    }


def _read_application(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/applications/{ctx.application()}", {}


def _form_review(ctx: Context, _role: str) -> Request:
    return (
        "POST",
        f"/v1/applications/{ctx.application()}/form-review",
        {"json": {"outcome": "return", "reason": "matrix"}},
    )


def _decision(ctx: Context, _role: str) -> Request:
    return (
        "POST",
        f"/v1/applications/{ctx.application(in_provider_review=True)}/decision",
        {"json": {"outcome": "refuse", "reason": "matrix", "legal_basis": "matrix basis"}},
    )


def _provider_agreement(
    method: str, body: dict[str, Any] | None = None
) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        org = ctx.accounts["provider"].organisation_id
        return method, f"/v1/organisations/{org}/agreement", kwargs

    return build


def _on_application(
    state: str, suffix: str = "", method: str = "POST", body: dict[str, Any] | None = None
) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        kwargs: dict[str, Any] = {"json": body if body is not None else application_body()}
        return method, f"/v1/applications/{ctx.application_in(state)}{suffix}", kwargs

    return build


def _on_grant(
    suffix: str, state: str, method: str = "POST", body: dict[str, Any] | None = None
) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        return method, f"/v1/grants/{ctx.grant(state)}{suffix}", kwargs

    return build


def _on_demand(
    suffix: str, state: str, method: str = "POST", body: dict[str, Any] | None = None
) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        return method, f"/v1/demands/{ctx.demand(state)}{suffix}", kwargs

    return build


JOB_VIEWERS = OVERSIGHT | {"user", "provider", "reviewer"}
"""A job's owner, the granting organisation's provider and reviewer, and oversight."""


def _submit_job(ctx: Context, _role: str) -> Request:
    if ctx.job_grant is None:
        ctx.job_grant = ctx.grant("active")
    return "POST", "/v1/jobs", {"json": {"datasets": ["m_cond"], "source": JOB_SOURCE}}


def _dry_run(ctx: Context, role: str) -> Request:
    _method, _path, kwargs = _submit_job(ctx, role)
    return "POST", "/v1/jobs/dry-run", kwargs


def _mock_table(ctx: Context, role: str) -> Request:
    _submit_job(ctx, role)  # the user's active grant on m_cond
    return "GET", "/v1/datasets/m_cond/mock", {}


def _on_job(suffix: str, method: str = "POST") -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        return method, f"/v1/jobs/{ctx.job()}{suffix}", {}

    return build


def _on_review(
    suffix: str, method: str = "GET", body: dict[str, Any] | None = None
) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        return method, f"/v1/reviews/{ctx.job()}{suffix}", kwargs

    return build


def _log_decision(ctx: Context, _role: str) -> Request:
    """A refusal of a log its owner asked to have reviewed (each role gets its own job)."""
    job_id = ctx.job()
    with ctx.as_role("user") as user:
        asked = user.post(f"/v1/jobs/{job_id}/log/release-request")
        assert asked.status_code == 200, asked.text
    return (
        "POST",
        f"/v1/reviews/{job_id}/log-decision",
        {"json": {"outcome": "refuse", "reason": "matrix"}},
    )


def _download(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/results/{ctx.released_job()}", {}


def _figures(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/results/{ctx.released_job(FIGURE_SOURCE)}/figures", {}


def _figure(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/results/{ctx.released_job(FIGURE_SOURCE)}/figures/chart.png", {}


def report_body(grant_id: int) -> dict[str, Any]:
    return {"grant_id": grant_id, "kind": "usage", "use": "u", "results": "r", "benefits": "b"}


def product_body() -> dict[str, Any]:
    return {"title": "matrix product", "sources": [{"dataset": "m_open"}], "payload": {"n": 1}}


def _evidence_add(ctx: Context, _role: str) -> Request:
    return "POST", f"/v1/complaints/{ctx.complaint()}/evidence", {"content": b"more proof"}


def _evidence_read(ctx: Context, _role: str) -> Request:
    complaint_id, evidence_id = ctx.evidence()
    return "GET", f"/v1/complaints/{complaint_id}/evidence/{evidence_id}", {}


def _on_complaint(
    suffix: str, method: str = "POST", body: dict[str, Any] | None = None
) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        return method, f"/v1/complaints/{ctx.complaint()}{suffix}", kwargs

    return build


def _on_objection(
    suffix: str, method: str = "POST", body: dict[str, Any] | None = None
) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        return method, f"/v1/objections/{ctx.objection()}{suffix}", kwargs

    return build


def _suspend(ctx: Context, _role: str) -> Request:
    ctx.suspension(False)
    return "POST", "/v1/datasets/m_susp/suspend", {"json": {"reason": "matrix"}}


def _resolve(ctx: Context, _role: str) -> Request:
    ctx.suspension(True)
    return "POST", "/v1/datasets/m_susp/suspension/resolve", {"json": {"outcome": "restore"}}


def _file_report(ctx: Context, _role: str) -> Request:
    return "POST", "/v1/usage-reports", {"json": report_body(ctx.grant("active"))}


def _read_report(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/usage-reports/{ctx.report()}", {}


def _enforce(step: str, state: str) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        ctx.grant(state)
        return (
            "POST",
            f"/v1/enforcement/{step}",
            {"json": {"user_id": ctx.accounts["user"].id, "reason": "matrix"}},
        )

    return build


def _read_product(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/data-products/{ctx.product()}", {}


_plan_years = itertools.count(2030)
"""Each drafted opening plan gets a year of its own (one plan per organisation and year)."""
PROOF = b"%PDF-1.4\n%%EOF\n"


def _plan_entry_body(ctx: Context, year: int) -> dict[str, Any]:
    return {
        "organisation_id": ctx.accounts["provider"].organisation_id,
        "year": year,
        "dataset": f"m_planned_{next(_counter)}",
        "title": "matrix plan entry",
        "open_attribute": "unconditional",
        "due_on": f"{year}-06-30",
    }


def _draft_plan(ctx: Context, state: str = "draft") -> tuple[int, int]:
    """A fresh opening plan of the provider's organisation (its id and its entry's id),
    left as a draft, submitted, or published.
    """
    with ctx.as_role("provider") as provider:
        made = provider.post(
            "/v1/opening-plans/entries", json=_plan_entry_body(ctx, next(_plan_years))
        )
        assert made.status_code == 201, made.text
        plan_id, entry_id = int(made.json()["id"]), int(made.json()["entries"][0]["id"])
        if state != "draft":
            done = provider.post(f"/v1/opening-plans/{plan_id}/submit")
            assert done.status_code == 200, done.text
    if state == "published":
        with ctx.as_role("authority") as authority:
            done = authority.post(
                f"/v1/opening-plans/{plan_id}/decision", json={"outcome": "publish"}
            )
            assert done.status_code == 200, done.text
    return plan_id, entry_id


def _add_plan_entry(ctx: Context, _role: str) -> Request:
    return "POST", "/v1/opening-plans/entries", {"json": _plan_entry_body(ctx, 2029)}


def _remove_plan_entry(ctx: Context, _role: str) -> Request:
    plan_id, entry_id = _draft_plan(ctx)
    return "POST", f"/v1/opening-plans/{plan_id}/entries/{entry_id}/remove", {"json": {}}


def _submit_plan(ctx: Context, _role: str) -> Request:
    return "POST", f"/v1/opening-plans/{_draft_plan(ctx)[0]}/submit", {}


def _decide_plan(ctx: Context, _role: str) -> Request:
    plan_id = _draft_plan(ctx, "submitted")[0]
    return "POST", f"/v1/opening-plans/{plan_id}/decision", {"json": {"outcome": "publish"}}


def _read_plan(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/opening-plans/{_draft_plan(ctx, 'published')[0]}", {}


def law_change_body() -> dict[str, Any]:
    return {
        "kind": "law_revision",
        "citation": "matrix law, art. 1",
        "changed_on": date.today().isoformat(),
        "datasets": ["m_open"],
    }


def _law_change(ctx: Context) -> dict[str, Any]:
    with ctx.as_role("authority") as authority:
        made = authority.post("/v1/law-changes", json=law_change_body())
        assert made.status_code == 201, made.text
    return dict(made.json())


def _read_law_change(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/law-changes/{_law_change(ctx)['id']}", {}


def _close_law_task(ctx: Context, _role: str) -> Request:
    task_id = _law_change(ctx)["tasks"][0]["id"]
    body = {"resolution": "no_change", "reason": "matrix"}
    return "POST", f"/v1/law-change-tasks/{task_id}/close", {"json": body}


def public_report_body() -> dict[str, Any]:
    return {
        "kind": "misuse",
        "dataset": "m_open",
        "description": "matrix report",
        "contact": "matrix@example.org",
    }


def _public_report(ctx: Context) -> int:
    with ctx.as_role("user") as user:
        made = user.post("/v1/public-reports", json=public_report_body())
        assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _read_public_report(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/public-reports/{_public_report(ctx)}", {}


def _answer_public_report(ctx: Context, _role: str) -> Request:
    body = {"outcome": "unfounded", "answer": "matrix"}
    return "POST", f"/v1/public-reports/{_public_report(ctx)}/answer", {"json": body}


def _attach_proof(ctx: Context, _role: str) -> Request:
    path = f"/v1/applications/{ctx.application()}/attachments"
    return "POST", path, {"content": PROOF, "headers": {"X-Filename": "proof.pdf"}}


def _proof(ctx: Context) -> tuple[int, int]:
    app_id = ctx.application()
    with ctx.as_role("user") as user:
        made = user.post(f"/v1/applications/{app_id}/attachments", content=PROOF)
        assert made.status_code == 201, made.text
    return app_id, int(made.json()["id"])


def _list_proof(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/applications/{_proof(ctx)[0]}/attachments", {}


def _read_proof(ctx: Context, _role: str) -> Request:
    app_id, attachment_id = _proof(ctx)
    return "GET", f"/v1/applications/{app_id}/attachments/{attachment_id}", {}


PROOF_READERS = frozenset({"user", "provider", "authority"})
"""The applicant, the provider of the applied-for data, and the authority."""


def _verification_service(ctx: Context) -> int:
    """A fresh verification service on m_cond (keyed on its identifier ``pid``)."""
    with ctx.as_role("provider") as provider:
        made = provider.post(
            "/v1/datasets/m_cond/verification-services",
            json={
                "name": f"m-verify-{next(_counter)}",
                "fields": [{"name": "pid"}, {"name": "district"}],
            },
        )
        assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _publish_verification(_ctx: Context, _role: str) -> Request:
    body = {"name": f"m-verify-{next(_counter)}", "fields": [{"name": "pid"}]}
    return "POST", "/v1/datasets/m_cond/verification-services", {"json": body}


def _read_verification(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/verification-services/{_verification_service(ctx)}", {}


def _withdraw_verification(ctx: Context, _role: str) -> Request:
    path = f"/v1/verification-services/{_verification_service(ctx)}/withdraw"
    return "POST", path, {"json": {"reason": "matrix"}}


def _verification_call(kind: str) -> Callable[[Context, str], Request]:
    """A call of a fresh service by the caller; ``user`` holds an active grant on m_cond."""

    def build(ctx: Context, _role: str) -> Request:
        if ctx.job_grant is None:
            ctx.job_grant = ctx.grant("active")
        path = f"/v1/verification-services/{_verification_service(ctx)}/{kind}"
        if kind == "quota":
            return "GET", path, {}
        if kind == "batch":
            content = b"pid,district\nZZSECRET00001,South\n"
            return "POST", path, {"content": content, "headers": {"Content-Type": "text/csv"}}
        record = {"pid": "ZZSECRET00001", "district": "South"}
        return "POST", path, {"json": {"records": [record]}}

    return build


def _rate(_ctx: Context, _role: str) -> Request:
    return "PUT", "/v1/datasets/m_open/rating", {"json": {"stars": 4}}


def _moderate_comment(ctx: Context, _role: str) -> Request:
    """A fresh comment of ``user`` on the provider's m_open, approved by the caller."""
    with ctx.as_role("user") as user:
        made = user.post("/v1/datasets/m_open/comments", json={"text": "matrix comment"})
        assert made.status_code == 201, made.text
    path = f"/v1/comments/{made.json()['id']}/moderation"
    return "POST", path, {"json": {"outcome": "approve"}}


def _read_own_notification(ctx: Context, role: str) -> Request:
    """A fresh notification in ``role``'s own inbox (put there as a workflow would), read."""
    from sandbox.notifications import notify
    from sandbox.store.db import transaction

    platform = ctx.server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            (made,) = notify(
                session,
                [ctx.accounts[role].id],
                "dataset.resumed",
                subject=("dataset", "m_open"),
                params={"dataset": "m_open"},
            )
    finally:
        platform.close()
    return "POST", f"/v1/notifications/{made}/read", {}


def _set_notification_preferences(_ctx: Context, _role: str) -> Request:
    return "PUT", "/v1/notifications/preferences", {"json": {"email": {"reminder": False}}}


def _set_floor(_ctx: Context, _role: str) -> Request:
    return "PUT", "/v1/policies/floor", {"json": {"document": {"contribution_bound": 3}}}


def _set_dataset_policy(_ctx: Context, _role: str) -> Request:
    return "PUT", "/v1/datasets/m_cond/policy", {"json": {"document": {"contribution_bound": 2}}}


# ---- catalog governance ------------------------------------------------------------------------


def _governance_dataset(ctx: Context, *, published: bool) -> str:
    """A fresh conditional dataset of ``provider``: passed by the authority, or submitted."""
    name = f"m_gov{next(_counter)}"
    with ctx.as_role("provider") as provider:
        made = register(
            provider, parquet_bytes(people_table(10)), metadata(name), publish=published
        )
        assert made.status_code == 201, made.text
    return name


def _review_submission(ctx: Context, _role: str) -> Request:
    name = _governance_dataset(ctx, published=False)
    body = {"outcome": "pass", "grade": "general"}
    return "POST", f"/v1/datasets/{name}/versions/1/review", {"json": body}


def _resubmit(ctx: Context, _role: str) -> Request:
    name = _governance_dataset(ctx, published=False)
    ctx._step(
        "authority",
        f"/v1/datasets/{name}/versions/1/review",
        {"outcome": "return", "reason": "matrix"},
    )
    return "POST", f"/v1/datasets/{name}/versions/1/resubmission", {"json": {"note": "fixed"}}


def _grade_decision(ctx: Context, _role: str) -> Request:
    with ctx.as_role("provider") as provider:
        done = provider.put("/v1/datasets/m_open/grade", json={"grade": "important"})
        assert done.status_code == 200, done.text
    return "POST", "/v1/datasets/m_open/grade/decision", {"json": {"approve": False}}


def _assessment(ctx: Context, state: str = "open") -> int:
    """A quality assessment of a fresh dataset, left open or answered."""
    name = _governance_dataset(ctx, published=True)
    with ctx.as_role("authority") as authority:
        made = authority.post(f"/v1/datasets/{name}/quality-assessments", json={})
        assert made.status_code == 201, made.text
    assessment_id = int(made.json()["id"])
    if state == "answered":
        ctx._step("provider", f"/v1/quality-assessments/{assessment_id}/answer", {})
    return assessment_id


def _open_assessment(ctx: Context, _role: str) -> Request:
    name = _governance_dataset(ctx, published=True)
    return "POST", f"/v1/datasets/{name}/quality-assessments", {"json": {"request": "matrix"}}


def _read_assessment(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/quality-assessments/{_assessment(ctx)}", {}


def _answer_assessment(ctx: Context, _role: str) -> Request:
    return "POST", f"/v1/quality-assessments/{_assessment(ctx)}/answer", {"json": {}}


def _conclude_assessment(ctx: Context, _role: str) -> Request:
    path = f"/v1/quality-assessments/{_assessment(ctx, 'answered')}/conclusion"
    return "POST", path, {"json": {"conclusion": "satisfactory"}}


GOVERNANCE_READERS = OVERSIGHT | PROVIDERS

GOVERNANCE_CASES = (
    Case("grade levels", get("/v1/grades"), EVERYONE),
    Case(
        "set grade level",
        lambda _c, _r: ("PUT", "/v1/policies/grades/important", {"json": {"document": {}}}),
        frozenset({"authority"}),
    ),
    Case("read dataset grade", get("/v1/datasets/m_cond/grade"), EVERYONE),
    Case(
        "propose dataset grade",
        lambda _c, _r: ("PUT", "/v1/datasets/m_open/grade", {"json": {"grade": "important"}}),
        frozenset({"provider"}),
    ),
    Case("decide dataset grade", _grade_decision, frozenset({"authority"})),
    Case("grade proposals", get("/v1/grade-proposals"), GOVERNANCE_READERS),
    Case("publication queue", get("/v1/publication-reviews"), GOVERNANCE_READERS),
    Case(
        "read version review",
        get("/v1/datasets/m_cond/versions/1/review"),
        OVERSIGHT | {"provider"},
    ),
    Case("review submission", _review_submission, frozenset({"authority"})),
    Case(
        "resubmit version",
        _resubmit,
        frozenset({"provider"}),
    ),
    Case("open quality assessment", _open_assessment, frozenset({"authority"})),
    Case("list quality assessments", get("/v1/quality-assessments"), GOVERNANCE_READERS),
    Case(
        "read quality assessment",
        _read_assessment,
        OVERSIGHT | {"provider"},
        hidden_status=404,
    ),
    Case(
        "answer quality assessment",
        _answer_assessment,
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case("conclude quality assessment", _conclude_assessment, frozenset({"authority"})),
    Case(
        "sweep update reminders",
        post("/v1/update-reminders/sweep", {}),
        frozenset({"authority", "admin"}),
    ),
    Case("list update reminders", get("/v1/update-reminders"), GOVERNANCE_READERS),
)

CASES = (
    Case("health", get("/v1/health"), EVERYONE, anonymous_allowed=True),
    Case("ready", get("/v1/ready"), EVERYONE, anonymous_allowed=True),
    # From this host (the test client is on loopback) with or without a token; from
    # elsewhere only with the operator's token (tests/jobs/test_observability_api.py).
    Case("metrics", get("/metrics"), EVERYONE, anonymous_allowed=True),
    Case(
        "create organisation",
        post("/v1/organisations", lambda _c: {"name": f"Org {next(_counter)}", "kind": "user"}),
        frozenset({"admin"}),
    ),
    Case("list organisations", get("/v1/organisations"), EVERYONE),
    Case("read provider agreement", _provider_agreement("GET"), EVERYONE),
    # Set then at once withdrawn (each case runs for every role before the next): the
    # grants of later cases accept the platform's agreement alone.
    Case(
        "set provider agreement",
        _provider_agreement("PUT", {"version": "m1", "text": "matrix terms"}),
        frozenset({"provider"}),
    ),
    Case("withdraw provider agreement", _provider_agreement("DELETE"), frozenset({"provider"})),
    Case(
        "create user",
        post("/v1/users", lambda _c: {"username": f"made{next(_counter)}", "role": "user"}),
        frozenset({"admin"}),
    ),
    Case("list users", get("/v1/users"), OVERSIGHT),
    Case("me", get("/v1/users/me"), EVERYONE),
    Case("another user", _other_user, OVERSIGHT | {"user"}, hidden_status=404),
    Case("set eligibility", _eligibility, frozenset({"admin", "authority"})),
    Case("deactivate user", _deactivate, frozenset({"admin"})),
    Case("set own password", _own_password, EVERYONE),
    Case("reset a password", _reset_password, frozenset({"admin"})),
    Case("sign in", _sign_in, EVERYONE, anonymous_allowed=True),
    Case("who am I", get("/v1/sessions/current"), EVERYONE),
    Case("sign out", lambda _c, _r: ("DELETE", "/v1/sessions/current", {}), EVERYONE),
    Case("register an account", _register_account, EVERYONE, anonymous_allowed=True),
    Case("create own token", post("/v1/tokens", {"name": "mine"}), EVERYONE),
    Case("list own tokens", get("/v1/tokens"), EVERYONE),
    Case("revoke own token", _own_token, EVERYONE),
    Case("revoke another's token", _others_token, frozenset({"admin", "user"}), hidden_status=404),
    Case("upload", _upload, frozenset({"provider", "other_provider"})),
    Case(
        "discard upload",
        _discard_upload,
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case("register dataset", _register, frozenset({"provider", "other_provider"})),
    Case("catalog", get("/v1/datasets"), EVERYONE),
    Case("entry", get("/v1/datasets/m_cond"), EVERYONE),
    Case("add version", _add_version, frozenset({"provider"}), overrides={"other_provider": 403}),
    Case("versions", get("/v1/datasets/m_cond/versions"), EVERYONE),
    Case("quality", get("/v1/datasets/m_cond/quality"), EVERYONE),
    Case("preview conditional", get("/v1/datasets/m_cond/preview"), EVERYONE),
    Case(
        "make synthetic preview",
        post("/v1/datasets/m_cond/synthetic-preview", {"epsilon": 0.1, "rows": 20}),
        frozenset({"provider"}),
    ),
    Case(
        "withdraw synthetic preview",
        lambda _ctx, _role: ("DELETE", "/v1/datasets/m_cond/synthetic-preview", {}),
        frozenset({"provider"}),
    ),
    Case("rows of conditional", get("/v1/datasets/m_cond/rows"), frozenset()),
    Case("download conditional", get("/v1/datasets/m_cond/download"), frozenset()),
    Case("download conditional csv", get("/v1/datasets/m_cond/download?format=csv"), frozenset()),
    Case("rows of unconditional", get("/v1/datasets/m_open/rows"), EVERYONE),
    Case("download unconditional", get("/v1/datasets/m_open/download"), EVERYONE),
    Case("integrity check", get("/v1/datasets/m_cond/integrity"), OVERSIGHT | {"provider"}),
    Case(
        "record desensitisation",
        post("/v1/datasets/m_cond/desensitisations", {"method": "masking"}),
        frozenset({"provider"}),
    ),
    Case(
        "request attribute change",
        post(
            "/v1/datasets/m_cond/attribute-changes",
            {"to_attribute": "unconditional", "reason": "matrix"},
        ),
        frozenset({"provider"}),
    ),
    Case(
        "list attribute changes",
        get("/v1/attribute-changes"),
        OVERSIGHT | {"provider", "other_provider"},
    ),
    Case("decide attribute change", _decide, frozenset({"authority"})),
    Case("read floor", get("/v1/policies/floor"), EVERYONE),
    Case("set floor", _set_floor, frozenset({"authority"})),
    Case("read dataset policy", get("/v1/datasets/m_cond/policy"), EVERYONE),
    Case("set dataset policy", _set_dataset_policy, frozenset({"provider"})),
    Case("read budget", get("/v1/budgets/m_cond"), OVERSIGHT | {"provider"}),
    Case(
        "submit application",
        post("/v1/applications", lambda _c: application_body()),
        frozenset({"user"}),
    ),
    Case("list applications", get("/v1/applications"), EVERYONE),
    Case(
        "read application", _read_application, OVERSIGHT | {"user", "provider"}, hidden_status=404
    ),
    Case("application form review", _form_review, frozenset({"authority"})),
    Case("application decision", _decision, frozenset({"provider"})),
    Case(
        "resubmit application",
        _on_application("returned", method="PUT"),
        frozenset({"user"}),
    ),
    Case(
        "request application re-review",
        _on_application("refused", "/re-review", body={"reason": "matrix"}),
        frozenset({"user"}),
    ),
    Case(
        "answer application re-review",
        _on_application(
            "re_review", "/re-review/answer", body={"outcome": "uphold", "opinion": "m"}
        ),
        frozenset({"authority"}),
    ),
    Case("list grants", get("/v1/grants"), EVERYONE),
    Case(
        "read grant",
        _on_grant("", "pending_acceptance", "GET"),
        OVERSIGHT | {"user", "provider"},
        hidden_status=404,
    ),
    Case(
        "grant agreement",
        _on_grant("/agreement", "pending_acceptance", "GET"),
        OVERSIGHT | {"user", "provider"},
        hidden_status=404,
    ),
    Case(
        "grant budget",
        _on_grant("/budget", "active", "GET"),
        OVERSIGHT | {"user", "provider"},
        hidden_status=404,
    ),
    Case(
        "accept grant",
        _on_grant("/accept", "pending_acceptance", body={"agreement_version": "2026.1"}),
        frozenset({"user"}),
    ),
    Case(
        "suspend grant",
        _on_grant("/suspend", "active", body={"reason": "matrix"}),
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case(
        "resume grant",
        _on_grant("/resume", "suspended", body={}),
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case(
        "revoke grant",
        _on_grant("/revoke", "active", body={"reason": "matrix"}),
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case("submit demand", post("/v1/demands", {"description": "matrix"}), frozenset({"user"})),
    Case("list demands", get("/v1/demands"), EVERYONE),
    Case(
        "read demand",
        _on_demand("", "submitted", "GET"),
        OVERSIGHT | {"user", "provider"},
        hidden_status=404,
    ),
    Case(
        "demand form review",
        _on_demand("/form-review", "submitted", body={"outcome": "pass"}),
        frozenset({"authority"}),
    ),
    Case(
        "demand answer",
        _on_demand("/answer", "provider_review", body={"outcome": "refuse", "reason": "matrix"}),
        frozenset({"provider"}),
    ),
    Case(
        "demand opened",
        _on_demand("/opened", "agreed", body={"dataset": "m_open"}),
        frozenset({"provider"}),
    ),
    Case(
        "request demand re-review",
        _on_demand("/re-review", "refused", body={"reason": "matrix"}),
        frozenset({"user"}),
    ),
    Case(
        "answer demand re-review",
        _on_demand("/re-review/answer", "re_review", body={"outcome": "overturn", "opinion": "m"}),
        frozenset({"authority"}),
    ),
    Case("overdue deadlines", get("/v1/deadlines/overdue"), OVERSIGHT),
    Case(
        "file complaint",
        post("/v1/complaints", {"dataset": "m_cond", "kind": "privacy", "description": "matrix"}),
        EVERYONE,
    ),
    Case("list complaints", get("/v1/complaints"), EVERYONE),
    Case(
        "read complaint",
        _on_complaint("", "GET"),
        OVERSIGHT | {"user", "provider"},
        hidden_status=404,
    ),
    Case(
        "add evidence",
        _evidence_add,
        frozenset({"user"}),
        hidden_status=404,
        overrides=dict.fromkeys(("provider", "admin", "authority", "auditor"), 403),
    ),
    Case("read evidence", _evidence_read, OVERSIGHT | {"user", "provider"}, hidden_status=404),
    Case(
        "answer complaint",
        _on_complaint("/answer", body={"outcome": "restore", "answer": "matrix"}),
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case("suspend dataset", _suspend, frozenset({"provider"})),
    Case("resolve suspension", _resolve, frozenset({"provider"})),
    Case("suspension history", get("/v1/datasets/m_susp/suspensions"), EVERYONE),
    Case("leak trace", get("/v1/datasets/m_cond/trace"), OVERSIGHT | {"provider"}),
    Case(
        "file objection",
        post("/v1/objections", {"dataset": "m_cond", "kind": "omission", "description": "matrix"}),
        EVERYONE,
    ),
    Case("list objections", get("/v1/objections"), EVERYONE),
    Case(
        "read objection",
        _on_objection("", "GET"),
        OVERSIGHT | {"user", "provider"},
        hidden_status=404,
    ),
    Case(
        "answer objection",
        _on_objection("/answer", body={"outcome": "rejected", "answer": "matrix"}),
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case("file report", _file_report, frozenset({"user"})),
    Case("list reports", get("/v1/usage-reports"), EVERYONE),
    Case("reports due", get("/v1/usage-reports/due"), EVERYONE),
    Case("read report", _read_report, OVERSIGHT | {"user", "provider"}, hidden_status=404),
    Case(
        "rectification",
        _enforce("rectification", "active"),
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case(
        "termination",
        _enforce("termination", "suspended"),
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case(
        "publish data product",
        post("/v1/data-products", lambda _c: product_body()),
        frozenset({"user"}),
    ),
    Case("list data products", get("/v1/data-products"), EVERYONE),
    Case("read data product", _read_product, EVERYONE),
    Case(
        "public data products",
        get("/v1/public/data-products"),
        EVERYONE,
        anonymous_allowed=True,
    ),
    Case(
        "add opening plan entry",
        _add_plan_entry,
        frozenset({"provider", "authority"}),
    ),
    Case(
        "remove opening plan entry",
        _remove_plan_entry,
        frozenset({"provider", "authority"}),
        overrides={"other_provider": 404},
    ),
    Case(
        "submit opening plan",
        _submit_plan,
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case("decide opening plan", _decide_plan, frozenset({"authority"})),
    Case("list opening plans", get("/v1/opening-plans"), EVERYONE),
    Case("read opening plan", _read_plan, EVERYONE),
    Case(
        "public opening plans",
        get("/v1/public/opening-plans"),
        EVERYONE,
        anonymous_allowed=True,
    ),
    Case(
        "record law change",
        post("/v1/law-changes", lambda _c: law_change_body()),
        frozenset({"authority"}),
    ),
    Case("list law changes", get("/v1/law-changes"), EVERYONE),
    Case("read law change", _read_law_change, EVERYONE),
    Case("list law-change tasks", get("/v1/law-change-tasks"), OVERSIGHT | PROVIDERS),
    Case(
        "close law-change task",
        _close_law_task,
        frozenset({"provider", "authority"}),
        overrides={"other_provider": 404},
    ),
    Case(
        "file public report",
        post("/v1/public-reports", lambda _c: public_report_body()),
        EVERYONE,
        anonymous_allowed=True,
    ),
    Case("list public reports", get("/v1/public-reports"), EVERYONE),
    Case(
        "read public report",
        _read_public_report,
        OVERSIGHT | {"user", "provider"},
        hidden_status=404,
    ),
    Case(
        "answer public report",
        _answer_public_report,
        frozenset({"provider", "authority"}),
        overrides={"other_provider": 404},
    ),
    Case(
        "attach proof",
        _attach_proof,
        frozenset({"user"}),
        hidden_status=404,
        overrides={"provider": 403, "authority": 403},
    ),
    Case("list proof", _list_proof, PROOF_READERS, hidden_status=404),
    Case("read proof", _read_proof, PROOF_READERS, hidden_status=404),
    Case("stats", get("/v1/stats"), EVERYONE),
    Case("list notifications", get("/v1/notifications?unread=true"), EVERYONE),
    Case("read notification", _read_own_notification, EVERYONE),
    Case("read all notifications", post("/v1/notifications/read-all", {}), EVERYONE),
    Case("notification preferences", get("/v1/notifications/preferences"), EVERYONE),
    Case("set notification preferences", _set_notification_preferences, EVERYONE),
    Case("rate dataset", _rate, EVERYONE),
    Case("read dataset feedback", get("/v1/datasets/m_open/feedback"), EVERYONE),
    Case(
        "comment on dataset",
        post("/v1/datasets/m_open/comments", {"text": "matrix comment"}),
        EVERYONE,
    ),
    Case("comment moderation queue", get("/v1/comments/moderation"), PROVIDERS),
    Case(
        "moderate comment",
        _moderate_comment,
        frozenset({"provider"}),
        overrides={"other_provider": 404},
    ),
    Case(
        "publish verification service",
        _publish_verification,
        frozenset({"provider"}),
    ),
    Case("list verification services", get("/v1/datasets/m_cond/verification-services"), EVERYONE),
    Case("read verification service", _read_verification, EVERYONE),
    Case("withdraw verification service", _withdraw_verification, frozenset({"provider"})),
    Case("verification quota", _verification_call("quota"), frozenset({"user"})),
    Case("verify records", _verification_call("verify"), frozenset({"user"})),
    Case("verify a batch", _verification_call("batch"), frozenset({"user"})),
    Case("submit job", _submit_job, frozenset({"user"})),
    Case("dry run", _dry_run, frozenset({"user"})),
    Case("mock table", _mock_table, frozenset({"user"})),
    Case("list jobs", get("/v1/jobs"), EVERYONE),
    Case("read job", _on_job("", "GET"), JOB_VIEWERS, hidden_status=404),
    Case("job log", _on_job("/log", "GET"), JOB_VIEWERS, hidden_status=404),
    Case(
        "cancel job",
        _on_job("/cancel"),
        frozenset({"user", "admin"}),
        hidden_status=404,
        overrides={"provider": 403, "reviewer": 403, "authority": 403, "auditor": 403},
    ),
    Case(
        "request log review",
        _on_job("/log/release-request"),
        frozenset({"user"}),
        hidden_status=404,
        overrides={
            "provider": 403,
            "reviewer": 403,
            "admin": 403,
            "authority": 403,
            "auditor": 403,
        },
    ),
    Case("review queue", get("/v1/reviews"), EVERYONE - {"user"}),
    Case("log review queue", get("/v1/reviews/logs"), EVERYONE - {"user"}),
    Case("read review", _on_review(""), OVERSIGHT | {"provider", "reviewer"}, hidden_status=404),
    Case(
        "review decision",
        _on_review("/decision", "POST", {"outcome": "reject", "reason": "matrix"}),
        frozenset({"provider", "reviewer"}),
        hidden_status=404,
        overrides={"admin": 403, "authority": 403, "auditor": 403},
    ),
    Case(
        "log decision",
        _log_decision,
        frozenset({"provider", "reviewer"}),
        hidden_status=404,
        overrides={"admin": 403, "authority": 403, "auditor": 403},
    ),
    Case(
        "download result", _download, frozenset({"user", "provider", "reviewer"}), hidden_status=404
    ),
    Case(
        "list result figures",
        _figures,
        frozenset({"user", "provider", "reviewer"}),
        hidden_status=404,
    ),
    Case(
        "download a figure", _figure, frozenset({"user", "provider", "reviewer"}), hidden_status=404
    ),
    Case("list algorithms", get("/v1/algorithms"), EVERYONE),
    Case("read algorithm", get("/v1/algorithms/count_rows"), EVERYONE),
    Case("audit read", get("/v1/audit"), frozenset({"admin", "auditor"})),
    Case("audit export", get("/v1/audit/export"), frozenset({"admin", "auditor"})),
    Case("audit verify", get("/v1/audit/verify"), frozenset({"admin", "auditor"})),
    Case("audit checkpoints", get("/v1/audit/checkpoints"), frozenset({"admin", "auditor"})),
    Case("audit archives", get("/v1/audit/archives"), frozenset({"admin", "auditor"})),
    *GOVERNANCE_CASES,
)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, ray_address: str) -> Iterator[LiveServer]:
    """The matrix server joins the session's Ray head: its job cases run real jobs."""
    server = start_server(
        tmp_path_factory.mktemp("matrix") / "var", {"SANDBOX_RAY_ADDRESS": ray_address, **RAY_ENV}
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def ctx(live_server: LiveServer, accounts: Accounts) -> Context:
    context = Context(live_server, accounts)
    with context.as_role("authority") as authority:
        for fact, value in (("real_name_verified", "yes"), ("credit_standing", "good")):
            assert (
                authority.post(
                    f"/v1/users/{accounts['user'].id}/eligibility",
                    json={"fact": fact, "value": value},
                ).status_code
                == 200
            )
    with context.as_role("provider") as provider:
        for name, attribute, content in (
            ("m_cond", "conditional", people_table()),
            ("m_open", "unconditional", people_table(20)),
            ("m_susp", "unconditional", people_table(5)),
        ):
            assert (
                register(provider, parquet_bytes(content), metadata(name, attribute)).status_code
                == 201
            )
    return context


def _expected(case: Case, role: str | None) -> set[int] | None:
    """None means 'a 2xx'; otherwise the refusal statuses accepted."""
    if role is None:
        return None if case.anonymous_allowed else {401}
    if role in case.allowed:
        return None
    return {case.overrides.get(role, case.hidden_status)}


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "no-token"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_access(ctx: Context, case: Case, role: str | None) -> None:
    method, path, kwargs = case.build(ctx, role or "user")
    token = ctx.accounts[role].token if role else None
    with ctx.server.client(token) as client:
        response = client.request(method, path, **kwargs)
    expected = _expected(case, role)
    if expected is None:
        assert 200 <= response.status_code < 300, (case.name, role, response.text)
    else:
        assert response.status_code in expected, (case.name, role, response.text)
        assert response.json()["error"] in (
            "forbidden",
            "access_refused",
            "not_found",
            "unauthenticated",
        )


def test_the_matrix_covers_every_route(live_server: LiveServer) -> None:
    """A new endpoint without a row here fails this test."""
    spec = httpx.get(f"{live_server.url}/v1/openapi.json", timeout=60).json()
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    covered_paths = {
        "/v1/health",
        "/v1/ready",
        "/metrics",
        "/v1/organisations",
        "/v1/organisations/{organisation_id}/agreement",
        "/v1/users",
        "/v1/users/me",
        "/v1/users/{user_id}",
        "/v1/users/{user_id}/eligibility",
        "/v1/users/{user_id}/deactivate",
        "/v1/users/me/password",
        "/v1/users/{user_id}/password",
        "/v1/sessions",
        "/v1/sessions/current",
        "/v1/accounts",
        "/v1/tokens",
        "/v1/tokens/{token_id}",
        "/v1/uploads",
        "/v1/uploads/{upload_id}",
        "/v1/datasets",
        "/v1/datasets/{name}",
        "/v1/datasets/{name}/versions",
        "/v1/datasets/{name}/quality",
        "/v1/datasets/{name}/preview",
        "/v1/datasets/{name}/synthetic-preview",
        "/v1/datasets/{name}/rows",
        "/v1/datasets/{name}/download",
        "/v1/datasets/{name}/integrity",
        "/v1/datasets/{name}/desensitisations",
        "/v1/datasets/{name}/attribute-changes",
        "/v1/attribute-changes",
        "/v1/attribute-changes/{change_id}/decision",
        "/v1/audit",
        "/v1/audit/export",
        "/v1/audit/verify",
        "/v1/audit/checkpoints",
        "/v1/audit/archives",
        "/v1/policies/floor",
        "/v1/datasets/{name}/policy",
        "/v1/budgets/{name}",
        "/v1/applications",
        "/v1/applications/{application_id}",
        "/v1/applications/{application_id}/form-review",
        "/v1/applications/{application_id}/decision",
        "/v1/applications/{application_id}/re-review",
        "/v1/applications/{application_id}/re-review/answer",
        "/v1/grants",
        "/v1/grants/{grant_id}",
        "/v1/grants/{grant_id}/agreement",
        "/v1/grants/{grant_id}/budget",
        "/v1/grants/{grant_id}/accept",
        "/v1/grants/{grant_id}/suspend",
        "/v1/grants/{grant_id}/resume",
        "/v1/grants/{grant_id}/revoke",
        "/v1/demands",
        "/v1/demands/{demand_id}",
        "/v1/demands/{demand_id}/form-review",
        "/v1/demands/{demand_id}/answer",
        "/v1/demands/{demand_id}/opened",
        "/v1/demands/{demand_id}/re-review",
        "/v1/demands/{demand_id}/re-review/answer",
        "/v1/deadlines/overdue",
        "/v1/complaints",
        "/v1/complaints/{complaint_id}",
        "/v1/complaints/{complaint_id}/evidence",
        "/v1/complaints/{complaint_id}/evidence/{evidence_id}",
        "/v1/complaints/{complaint_id}/answer",
        "/v1/datasets/{name}/suspend",
        "/v1/datasets/{name}/suspension/resolve",
        "/v1/datasets/{name}/suspensions",
        "/v1/datasets/{name}/trace",
        "/v1/objections",
        "/v1/objections/{objection_id}",
        "/v1/objections/{objection_id}/answer",
        "/v1/usage-reports",
        "/v1/usage-reports/due",
        "/v1/usage-reports/{report_id}",
        "/v1/enforcement/rectification",
        "/v1/enforcement/termination",
        "/v1/data-products",
        "/v1/data-products/{product_id}",
        "/v1/public/data-products",
        "/v1/opening-plans/entries",
        "/v1/opening-plans/{plan_id}/entries/{entry_id}/remove",
        "/v1/opening-plans/{plan_id}/submit",
        "/v1/opening-plans/{plan_id}/decision",
        "/v1/opening-plans",
        "/v1/opening-plans/{plan_id}",
        "/v1/public/opening-plans",
        "/v1/law-changes",
        "/v1/law-changes/{change_id}",
        "/v1/law-change-tasks",
        "/v1/law-change-tasks/{task_id}/close",
        "/v1/public-reports",
        "/v1/public-reports/{report_id}",
        "/v1/public-reports/{report_id}/answer",
        "/v1/applications/{application_id}/attachments",
        "/v1/applications/{application_id}/attachments/{attachment_id}",
        "/v1/stats",
        "/v1/notifications",
        "/v1/notifications/{notification_id}/read",
        "/v1/notifications/read-all",
        "/v1/notifications/preferences",
        "/v1/datasets/{name}/rating",
        "/v1/datasets/{name}/feedback",
        "/v1/datasets/{name}/comments",
        "/v1/comments/moderation",
        "/v1/comments/{comment_id}/moderation",
        "/v1/datasets/{name}/verification-services",
        "/v1/verification-services/{service_id}",
        "/v1/verification-services/{service_id}/withdraw",
        "/v1/verification-services/{service_id}/quota",
        "/v1/verification-services/{service_id}/verify",
        "/v1/verification-services/{service_id}/batch",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/log",
        "/v1/jobs/{job_id}/cancel",
        "/v1/jobs/{job_id}/log/release-request",
        "/v1/jobs/dry-run",
        "/v1/datasets/{name}/mock",
        "/v1/algorithms",
        "/v1/algorithms/{name}",
        "/v1/reviews",
        "/v1/reviews/logs",
        "/v1/reviews/{job_id}",
        "/v1/reviews/{job_id}/decision",
        "/v1/reviews/{job_id}/log-decision",
        "/v1/results/{job_id}",
        "/v1/results/{job_id}/figures",
        "/v1/results/{job_id}/figures/{name}",
    }
    covered_paths |= {
        "/v1/grades",
        "/v1/policies/grades/{grade}",
        "/v1/datasets/{name}/grade",
        "/v1/datasets/{name}/grade/decision",
        "/v1/grade-proposals",
        "/v1/publication-reviews",
        "/v1/datasets/{name}/versions/{version}/review",
        "/v1/datasets/{name}/versions/{version}/resubmission",
        "/v1/datasets/{name}/quality-assessments",
        "/v1/quality-assessments",
        "/v1/quality-assessments/{assessment_id}",
        "/v1/quality-assessments/{assessment_id}/answer",
        "/v1/quality-assessments/{assessment_id}/conclusion",
        "/v1/update-reminders/sweep",
        "/v1/update-reminders",
    }
    assert {p for _m, p in routes} == covered_paths
    assert len(routes) == 172 == len(CASES) - 4  # four cases probe a second variant of a route
