"""The dataset policy editor: the provider's own policy of one dataset, in the code editor.

The page reads the policies as ``GET /v1/datasets/{name}/policy`` does
(:func:`sandbox.policy_store.read_dataset_policies`, audited) and saves through the call of
``PUT /v1/datasets/{name}/policy`` (:func:`sandbox.policy_store.set_dataset_policy`: the
owner only, JSON or YAML, refused naming every rule looser than the floor in force). A
refused document changes nothing and comes back beside the editor with each broken rule.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console.auth import Viewer
from api.console.oversight_forms import read_form
from api.console.pages.provider_data import ProviderViewer, owned_entry
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox import policy_store
from sandbox.errors import InvalidRequest
from sandbox.platform import Platform
from sandbox.policies import Policy, to_dict
from sandbox.policies.layering import PolicyViolation
from sandbox.store.db import transaction

router = console_router()

UNPROCESSABLE = 422


def _text(policy: Policy) -> str:
    return json.dumps(to_dict(policy), indent=2, ensure_ascii=False)


def _policy_context(platform: Platform, viewer: Viewer, name: str) -> dict[str, Any]:
    """The dataset's own policy (editable) and the effective policy: the strictest
    combination of every floor in force and this policy, as jobs meet it.
    """
    with transaction(platform.sessions) as session:
        entry = owned_entry(session, viewer.actor, name, "edit this dataset's policy")
        policies = policy_store.read_dataset_policies(session, viewer.actor, name)
    return {
        "entry": entry,
        "meta": entry.metadata,
        "stored": policies.dataset,
        "document": _text(policies.dataset.policy),
        "effective": _text(policies.effective),
        "problem": None,
        "violations": [],
        "saved": False,
    }


@router.get("/console/provider/datasets/{name}/policy")
def policy_page(
    name: str, request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """The editor holding the dataset's policy, beside the effective policy."""
    context = _policy_context(platform, viewer, name)
    return render(request, "pages/provider_data_policy.html", viewer, context)


@router.post("/console/provider/datasets/{name}/policy")
async def policy_save(
    name: str, request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """Set the dataset's policy from the editor's text; a refusal leaves it unchanged."""
    fields = await read_form(request)
    document = fields.get("document", "")
    try:
        with transaction(platform.sessions) as session:
            policy_store.set_dataset_policy(session, viewer.actor, name, document)
    except InvalidRequest as error:
        context = _policy_context(platform, viewer, name)
        violations = list(error.violations) if isinstance(error, PolicyViolation) else []
        context.update(document=document, problem=error.message, violations=violations)
        return render(
            request,
            "pages/provider_data_policy.html",
            viewer,
            context,
            status_code=UNPROCESSABLE,
        )
    context = _policy_context(platform, viewer, name)
    context["saved"] = True
    return render(request, "pages/provider_data_policy.html", viewer, context)
