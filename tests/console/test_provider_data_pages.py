"""The provider's dataset pages in a real Chromium against the live server.

A provider registers a dataset from the browser: the file goes through the staged upload
API (``static/upload.js``, the session cookie and its CSRF token) while a ``<progress>``
follows it to 100%, then the metadata form registers it and the dataset page shows its
version, quality and integrity. A CSV that does not match the dictionary, and a form
without its contact, come back with the domain's message beside the field and the catalog
unchanged. A version is added the same way. The policy editor refuses a policy looser than
the floor (each broken rule named, the policy unchanged) and saves a tighter one. Another
provider's dataset and a researcher are refused (403 pages), a form without the CSRF token
too. The main views pass axe at both widths and are used with the keyboard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from api.console.messages.provider_data import MESSAGES
from api.console.pages.provider_data_uploads import (
    REGISTRATION_FIELDS,
    SOURCE_FIELDS,
    VERSION_FIELDS,
    parse_dictionary,
)
from sandbox.errors import InvalidRequest
from tests.support.browser import (
    WIDTHS,
    axe_violations,
    horizontal_overflow,
    screenshot,
    signed_in_visit,
)
from tests.support.datafiles import (
    PEOPLE_DICTIONARY,
    csv_bytes,
    metadata,
    parquet_bytes,
    people_table,
    register,
    upload,
)
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, grant, make_eligible, world_of

PASSWORD = "provider-data-2026"
ROWS = 20_000
"""Rows of the browser's file (about a megabyte of CSV: the upload reports progress)."""


def _register(client: httpx.Client, name: str) -> None:
    """Register ``name`` over the API (upload, then ``POST /v1/datasets``)."""
    staged = ok(upload(client, parquet_bytes(people_table())), 201)
    body = {**metadata(name), "source": {"upload_id": staged["upload_id"]}}
    ok(client.post("/v1/datasets", json=body), 201)


@dataclass
class Catalog:
    world: World
    url: str
    grant_ref: str


@pytest.fixture(scope="module")
def catalog(live_server: LiveServer, accounts: Accounts) -> Catalog:
    """``pd_policy`` (the provider's, conditional, waiting for its publication review),
    ``pd_budget`` (the provider's, published, with a grant of ``user`` accepted) and
    ``pd_other`` (another provider's)."""
    world = world_of(live_server, accounts)
    with world.client("provider") as provider:
        _register(provider, "pd_policy")
        ok(register(provider, parquet_bytes(people_table()), metadata("pd_budget")), 201)
    with world.client("other_provider") as other:
        _register(other, "pd_other")
    with world.client("admin") as admin:
        for who in ("provider", "other_provider", "user"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    make_eligible(world, "user")
    issued = grant(world, "user", ["pd_budget"], title="Budgeted study")
    return Catalog(world, live_server.url, str(issued["ref"]))


@pytest.fixture
def provider(chromium: Browser, catalog: Catalog) -> Iterator[Page]:
    visit = signed_in_visit(chromium, catalog.url, "provider", PASSWORD)
    yield visit.page
    visit.context.close()


def _names(catalog: Catalog) -> set[str]:
    with catalog.world.client("provider") as provider:
        return {entry["name"] for entry in ok(provider.get("/v1/datasets"))["data"]}


def _set_editor(page: Page, text: str) -> None:
    """Type into the CodeMirror editor as a person would: select all, then the text."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.locator(".cm-content").fill(text)


def _watch_progress(page: Page) -> None:
    """Record every value the upload's <progress> takes."""
    page.evaluate(
        """() => {
            const bar = document.querySelector('#upload-progress');
            window.progressSeen = [];
            new MutationObserver(() => window.progressSeen.push(Number(bar.getAttribute('value'))))
                .observe(bar, {attributes: true, attributeFilter: ['value']});
        }"""
    )


def _csv(name: str, content: bytes) -> FilePayload:
    return FilePayload(name=name, mimeType="text/csv", buffer=content)


def _fill_registration(page: Page, name: str, *, contact: str = "data@health.example") -> None:
    page.get_by_label("Dataset name (identifier)").fill(name)
    page.get_by_label("Title").fill(f"Browser dataset {name}")
    page.get_by_label("Contact").fill(contact)
    page.get_by_label("Open attribute").select_option("conditional")
    page.get_by_label("Update frequency").select_option("monthly")
    _set_editor(page, json.dumps(PEOPLE_DICTIONARY))
    page.get_by_label("Privacy unit column").fill("pid")


def _upload(page: Page, payload: FilePayload) -> None:
    _watch_progress(page)
    page.get_by_label("Choose the file (CSV, Parquet or Arrow)").set_input_files(payload)
    expect(page.locator("#upload-status")).to_contain_text("100%", timeout=60_000)
    expect(page.locator("#upload-progress")).to_have_attribute("value", "100")
    seen: list[float] = page.evaluate("() => window.progressSeen")
    assert seen[-1] == 100 and seen == sorted(seen), seen  # the bar only moves forward


def test_every_field_a_refusal_names_has_its_label() -> None:
    for name in {*REGISTRATION_FIELDS, *SOURCE_FIELDS, *VERSION_FIELDS, "file"} - {
        "upload_id",
        "upload_name",
    }:
        assert f"provider_data.field.{name}" in MESSAGES, name


def test_the_dictionary_is_read_as_json_or_yaml() -> None:
    as_json = parse_dictionary(json.dumps(PEOPLE_DICTIONARY))
    as_yaml = parse_dictionary(
        "- name: pid\n  type: string\n  classification: identifier\n"
        "- name: age\n  type: int64\n  classification: quasi_identifier\n  upper: 110\n"
    )
    assert [c.name for c in as_json.columns] == ["pid", "district", "age", "income"]
    assert [c.name for c in as_yaml.columns] == ["pid", "age"]
    for text, message in (
        ("", "the data dictionary is empty"),
        ('[{"name": "pid",]', "not valid JSON"),
        ("- name: [unclosed", "not valid YAML"),
        ('{"name": "pid"}', "must be a list of columns"),
    ):
        with pytest.raises(InvalidRequest, match=message):
            parse_dictionary(text)


def test_a_provider_registers_a_dataset_with_a_progress_bar(
    provider: Page, catalog: Catalog
) -> None:
    page = provider
    page.goto("/console/provider/datasets?lang=en")
    expect(page.locator("#dataset-pd_policy")).to_be_visible()
    expect(page.locator("#dataset-pd_other")).to_have_count(0)  # another provider's
    page.get_by_role("link", name="Register a dataset").click()
    expect(page.locator("h1")).to_have_text("Register a dataset")
    expect(page.locator(".cm-editor")).to_be_visible()  # the vendored editor took the field
    _fill_registration(page, "pd_browser")
    page.get_by_label("Proposed security grade").select_option("important")
    content = csv_bytes(people_table(ROWS))
    with page.expect_request(lambda r: r.url.endswith("/v1/uploads")) as sent:
        _upload(page, _csv("people.csv", content))
    assert sent.value.headers["x-filename"] == "people.csv"
    assert sent.value.headers["x-csrf-token"]
    expect(page.locator("#upload-status")).to_contain_text(f"people.csv ({len(content)} bytes)")
    screenshot(page, "provider-register-uploaded", "laptop")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(f"{catalog.url}/console/provider/datasets/pd_browser?done=registered")
    expect(page.locator("#provider-done")).to_contain_text("submitted for the authority's review")
    version = page.locator("#version-1")
    expect(version).to_contain_text("Waiting for review")
    expect(version).to_contain_text("Review due by")
    expect(page.locator("#grade-in-force")).to_have_text("Core")  # until the authority decides
    expect(version).to_contain_text(str(ROWS))
    expect(version).to_contain_text("No damage on record")
    expect(version).to_contain_text("csv")
    expect(page.locator("#quality-summary")).to_contain_text(str(ROWS))
    screenshot(page, "provider-dataset", "laptop")
    assert "pd_browser" in _names(catalog)
    page.get_by_role("button", name="Check integrity now").click()
    expect(page.locator("#integrity-result")).to_contain_text("v1: Intact")
    page.get_by_role("link", name="← My datasets").click()
    expect(page.locator("#dataset-pd_browser")).to_contain_text(str(ROWS))


def test_a_slow_upload_moves_the_bar_and_can_be_cancelled(provider: Page, catalog: Catalog) -> None:
    page = provider
    page.goto("/console/provider/registration?lang=en")
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 256_000},
    )
    _watch_progress(page)
    content = csv_bytes(people_table(ROWS))  # about 0.7 MB: some seconds at 256 kB/s
    page.get_by_label("Choose the file (CSV, Parquet or Arrow)").set_input_files(
        _csv("slow.csv", content)
    )
    expect(page.locator("#upload-status")).to_contain_text("Uploading")
    cancel = page.get_by_role("button", name="Cancel the upload")
    expect(cancel).to_be_visible()
    page.wait_for_function("() => window.progressSeen.some((v) => v > 0 && v < 100)")
    cancel.click()
    expect(page.locator("#upload-status")).to_have_text(
        "The upload is cancelled; nothing is staged."
    )
    expect(cancel).to_be_hidden()
    expect(page.locator("#f-upload_id")).to_have_value("")
    seen: list[float] = page.evaluate("() => window.progressSeen")
    assert any(0 < value < 100 for value in seen), seen  # the bar moved with the upload
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    _upload(page, _csv("people.csv", csv_bytes(people_table(30))))  # then a whole one
    expect(page.locator("#f-upload_id")).not_to_have_value("")


def test_a_file_that_does_not_match_the_dictionary_changes_nothing(
    provider: Page, catalog: Catalog
) -> None:
    page = provider
    before = _names(catalog)
    page.goto("/console/provider/registration?lang=en")
    _fill_registration(page, "pd_bad")
    wrong = csv_bytes(people_table(30).drop_columns(["income"]))
    _upload(page, _csv("wrong.csv", wrong))
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Register").click()
    assert posted.value.status == 422
    summary = page.locator("#form-error")
    expect(summary).to_be_focused()  # console.js takes the keyboard to what went wrong
    expect(summary).to_contain_text("income")
    expect(page.locator("#e-file")).to_contain_text("income")
    expect(page.get_by_label("Choose the file (CSV, Parquet or Arrow)")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.get_by_label("Dataset name (identifier)")).to_have_value("pd_bad")  # kept
    screenshot(page, "provider-register-refused", "laptop")
    assert _names(catalog) == before
    # the right file, but no contact: refused beside the contact field, still nothing stored
    _upload(page, _csv("people.csv", csv_bytes(people_table(30))))
    page.get_by_label("Contact").fill("")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Register").click()
    assert posted.value.status == 422
    expect(page.locator("#e-contact")).to_contain_text("needs a contact")
    expect(page.get_by_label("Contact")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#upload-status")).to_contain_text("people.csv")  # the staged file kept
    assert _names(catalog) == before
    # fixed: the staged file is registered without uploading it again
    page.get_by_label("Contact").fill("data@health.example")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#provider-done")).to_be_visible()
    assert _names(catalog) == before | {"pd_bad"}


def test_an_upload_the_api_refuses_shows_its_message(provider: Page, catalog: Catalog) -> None:
    page = provider
    before = _names(catalog)
    page.goto("/console/provider/registration?lang=en")
    _fill_registration(page, "pd_empty")
    chooser = page.get_by_label("Choose the file (CSV, Parquet or Arrow)")
    with page.expect_response(lambda r: r.url.endswith("/v1/uploads")) as answered:
        chooser.set_input_files(_csv("empty.csv", b""))
    assert answered.value.status == 422
    expect(page.locator("#upload-status")).to_have_text(
        "Upload refused: the uploaded file is empty"
    )
    expect(chooser).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-upload_id")).to_have_value("")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_role("button", name="Register").click()
    expect(chooser).to_be_focused()  # the form is not sent while its file is refused
    assert posts == []
    assert _names(catalog) == before


def test_the_dictionary_is_drafted_from_a_csv_header(provider: Page, catalog: Catalog) -> None:
    page = provider
    before = _names(catalog)
    page.goto("/console/provider/registration?lang=en")
    draft = page.get_by_role("button", name="Draft the dictionary from the CSV file's header")
    expect(draft).to_be_hidden()  # offered once a CSV file is chosen
    _upload(page, _csv("people.csv", csv_bytes(people_table(40))))
    draft.click()
    expect(page.locator("#draft-dictionary-status")).to_contain_text("check each column's type")
    drafted = json.loads(page.locator("#f-dictionary").input_value())
    assert drafted == [
        {"name": "pid", "type": "string", "classification": ""},
        {"name": "district", "type": "string", "classification": ""},
        {"name": "age", "type": "int64", "classification": ""},
        {"name": "income", "type": "float64", "classification": ""},
    ]
    expect(page.locator(".cm-content")).to_contain_text('"name": "income"')  # in the editor
    page.get_by_label("Dataset name (identifier)").fill("pd_drafted")
    page.get_by_label("Title").fill("Drafted")
    page.get_by_label("Contact").fill("data@health.example")
    page.get_by_label("Open attribute").select_option("conditional")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#e-dictionary")).to_contain_text("classification")  # decided by a person
    assert _names(catalog) == before


def test_a_bad_dictionary_is_refused_beside_it(provider: Page, catalog: Catalog) -> None:
    page = provider
    before = _names(catalog)
    page.goto("/console/provider/registration?lang=en")
    _fill_registration(page, "pd_dict")
    _set_editor(page, '[{"name": "pid", "type": "integer", "classification": "identifier"}]')
    _upload(page, _csv("people.csv", csv_bytes(people_table(10))))
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#e-dictionary")).to_contain_text("integer")
    expect(page.locator("#f-dictionary")).to_have_attribute("aria-invalid", "true")
    assert _names(catalog) == before
    # a form posted without any file (no upload, no server path) names the missing source
    csrf = page.locator("#register-form input[name=csrf_token]").get_attribute("value") or ""
    fields: dict[str, str | float | bool] = {
        "csrf_token": csrf,
        "name": "pd_nofile",
        "title": "No file",
        "contact": "data@health.example",
        "open_attribute": "conditional",
        "update_frequency": "monthly",
        "dictionary": json.dumps(PEOPLE_DICTIONARY),
    }
    missing = page.context.request.post("/console/provider/registration", form=fields)
    assert missing.status == 422
    assert 'id="e-file"' in missing.text() and "exactly one data source" in missing.text()
    assert _names(catalog) == before


def test_a_provider_adds_a_version(provider: Page, catalog: Catalog) -> None:
    page = provider
    page.goto("/console/provider/datasets/pd_policy?lang=en")
    page.get_by_role("link", name="Add a version").click()
    expect(page.locator("h1")).to_have_text("Add a version of pd_policy")
    _upload(page, _csv("march.csv", csv_bytes(people_table(75))))
    page.get_by_label("Version note").fill("March figures")
    page.get_by_role("button", name="Add the version").click()
    expect(page.locator("#provider-done")).to_contain_text("The new version is added")
    expect(page.locator("#version-2")).to_contain_text("75")
    expect(page.locator("#version-2")).to_contain_text("March figures")
    expect(page.locator("#version-1")).to_be_visible()  # the old version stays
    expect(page.locator("#quality-title + p")).to_contain_text("version 2")  # the newest
    page.locator("#version-1").get_by_role("link").click()  # its quality verdict
    expect(page.locator("#quality-title + p")).to_contain_text("version 1")
    expect(page.locator("#quality-summary")).to_contain_text("50")  # v1's rows


def test_a_provider_proposes_a_grade_and_resubmits_a_returned_version(
    provider: Page, catalog: Catalog
) -> None:
    page = provider
    with catalog.world.client("authority") as authority:
        ok(
            authority.post(
                "/v1/datasets/pd_policy/versions/1/review",
                json={"outcome": "return", "reason": "the contact is a personal address"},
            )
        )
    page.goto("/console/provider/datasets/pd_policy?lang=en")
    version = page.locator("#version-1")
    expect(version).to_contain_text("Returned")
    expect(version).to_contain_text("the contact is a personal address")
    version.get_by_label("What was put right").fill("the contact is the bureau's desk now")
    version.get_by_role("button", name="Submit it again").click()
    expect(page.locator("#provider-done")).to_have_text(
        "The version is submitted for review again."
    )
    expect(page.locator("#version-1")).to_contain_text("Waiting for review")
    expect(page.locator("#version-1-form")).to_have_count(0)
    csrf = page.locator("#grade-form input[name=csrf_token]").get_attribute("value") or ""
    again = page.context.request.post(
        "/console/provider/datasets/pd_policy/versions/1/resubmission",
        form={"csrf_token": csrf, "note": "twice"},
    )
    assert again.status == 409  # only a returned version is submitted again
    assert "only a returned version" in again.text()
    page.get_by_label("Grade to propose").select_option("important")
    page.get_by_label("Reason (optional)").fill("health records of identifiable people")
    page.get_by_role("button", name="Propose the grade").click()
    expect(page.locator("#provider-done")).to_contain_text("The grade is proposed")
    expect(page.locator("#grade-facts")).to_contain_text("Proposal waiting")
    expect(page.locator("#grade-facts")).to_contain_text("Important")
    with catalog.world.client("provider") as api:
        assert ok(api.get("/v1/datasets/pd_policy/grade"))["proposed"] == "important"
    bad = page.context.request.post(
        "/console/provider/datasets/pd_policy/grade",
        form={"csrf_token": csrf, "grade": "secret"},
    )
    assert bad.status == 422
    assert "grade" in bad.text() and "secret" in bad.text()
    refused = page.context.request.post(
        "/console/provider/datasets/pd_other/grade",
        form={"csrf_token": csrf, "grade": "general"},
    )
    assert refused.status == 403
    with catalog.world.client("other_provider") as other:
        assert ok(other.get("/v1/datasets/pd_other/grade"))["proposed"] is None


def test_a_provider_records_a_desensitisation_and_requests_an_attribute_change(
    provider: Page, catalog: Catalog
) -> None:
    page = provider
    page.goto("/console/provider/datasets/pd_policy?lang=en")
    form = page.locator("#desensitisation-form")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.get_by_role("button", name="Record it").click()  # without its method
    assert posted.value.status == 422
    expect(page.locator("#form-error")).to_contain_text("method")
    expect(page.locator("#f-desens-method")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#desens-none")).to_be_visible()  # nothing recorded
    form = page.locator("#desensitisation-form")
    form.get_by_label("Method").fill("pseudonymisation")
    form.get_by_label("Description").fill("ids replaced by keyed hashes")
    form.get_by_label("Applies to").select_option("1")
    form.get_by_role("button", name="Record it").click()
    expect(page.locator("#provider-done")).to_have_text("The desensitisation is recorded.")
    expect(page.locator("#provider-desensitisations")).to_contain_text("pseudonymisation")
    attribute = page.locator("#attribute-form")
    attribute.get_by_label("Change to").select_option("unconditional")
    attribute.get_by_label("Desensitisation it rests on").select_option(index=1)
    attribute.get_by_label("Reason").fill("the ids are keyed hashes now")
    attribute.get_by_role("button", name="Request the change").click()
    expect(page.locator("#provider-done")).to_contain_text("the authority decides on it")
    expect(page.locator("#provider-changes")).to_contain_text("Pending")
    with catalog.world.client("authority") as authority:
        pending = ok(authority.get("/v1/attribute-changes", params={"status": "pending"}))
    assert [c["dataset"] for c in pending] == ["pd_policy"]
    attribute = page.locator("#attribute-form")  # a second request while one is pending
    attribute.get_by_label("Change to").select_option("closed")
    attribute.get_by_label("Legal basis", exact=True).fill("PIPL art. 28")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        attribute.get_by_role("button", name="Request the change").click()
    assert posted.value.status == 409
    expect(page.locator("#form-error")).to_contain_text("already has a pending attribute change")


def test_the_dataset_page_shows_its_budget_accounts(provider: Page, catalog: Catalog) -> None:
    page = provider
    page.goto("/console/provider/datasets/pd_budget?lang=en")
    budget = page.locator("#provider-budget")
    expect(budget).to_contain_text("The dataset's lifetime budget")
    grant_row = budget.locator("tr", has_text=f"Grant {catalog.grant_ref}")
    expect(grant_row).to_contain_text("epsilon 0")  # nothing spent yet
    expect(grant_row).to_contain_text("epsilon 5")  # the grant's budget
    expect(page.locator("#version-1")).to_contain_text("Published")
    page.goto("/console/provider/datasets/pd_policy?lang=en")
    expect(page.locator("#budget-none")).to_be_visible()


def _own_policy(catalog: Catalog, name: str) -> dict[str, Any]:
    with catalog.world.client("provider") as provider:
        policy: dict[str, Any] = ok(provider.get(f"/v1/datasets/{name}/policy"))["dataset_policy"]
    return policy


def test_the_policy_editor_refuses_a_looser_policy_and_saves_a_tighter(
    provider: Page, catalog: Catalog
) -> None:
    page = provider
    before = _own_policy(catalog, "pd_policy")
    page.goto("/console/provider/datasets/pd_policy?lang=en")
    page.get_by_role("link", name="Edit the dataset policy").click()
    expect(page.locator("#policy-effective")).to_contain_text('"min_count"')
    _set_editor(page, '{"row_count": {"min_count": 5}}')
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Check and save").click()
    assert posted.value.status == 422
    expect(page.locator("#policy-error")).to_be_focused()
    expect(page.locator("#policy-violations")).to_contain_text(
        re.compile(r"row_count\.min_count 5 is looser than the floor's \d+")
    )
    expect(page.locator("#f-policy")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".cm-content")).to_contain_text('"min_count": 5')  # kept for fixing
    screenshot(page, "provider-policy-refused", "laptop")
    assert _own_policy(catalog, "pd_policy") == before
    _set_editor(page, '{"row_count": {"min_count": 60}}')
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator("#policy-saved")).to_be_visible()
    expect(page.locator("#policy-effective")).to_contain_text('"min_count": 60')
    assert _own_policy(catalog, "pd_policy")["document"]["row_count"]["min_count"] == 60
    _set_editor(page, "row_count:\n  min_count: 70\n")  # YAML, as the API takes it
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator("#policy-saved")).to_be_visible()
    assert _own_policy(catalog, "pd_policy")["document"]["row_count"]["min_count"] == 70
    # a form posted without the session's CSRF token is refused and changes nothing
    forged = page.context.request.post(
        "/console/provider/datasets/pd_policy/policy",
        form={"document": '{"row_count": {"min_count": 30}}'},
    )
    assert forged.status == 403
    assert _own_policy(catalog, "pd_policy")["document"]["row_count"]["min_count"] == 70


def test_another_providers_dataset_is_refused(
    chromium: Browser, provider: Page, catalog: Catalog
) -> None:
    page = provider
    for path in (
        "/console/provider/datasets/pd_other?lang=en",
        "/console/provider/datasets/pd_other/policy?lang=en",
        "/console/provider/datasets/pd_other/versions/new?lang=en",
    ):
        answer = page.goto(path)
        assert answer is not None and answer.status == 403, path
        expect(page.locator("h1")).to_have_text("Access refused")
        expect(page.locator("main")).to_contain_text(
            "only a provider of the dataset's organisation"
        )
    screenshot(page, "provider-other-refused", "laptop")
    page.goto("/console/provider/datasets/pd_policy/policy?lang=en")
    csrf = page.locator("#policy-form input[name=csrf_token]").get_attribute("value") or ""
    with catalog.world.client("other_provider") as other:
        before = ok(other.get("/v1/datasets/pd_other/policy"))["dataset_policy"]
    refused = page.context.request.post(
        "/console/provider/datasets/pd_other/policy",
        form={"csrf_token": csrf, "document": '{"row_count": {"min_count": 50}}'},
    )
    assert refused.status == 403
    with catalog.world.client("other_provider") as other:
        assert ok(other.get("/v1/datasets/pd_other/policy"))["dataset_policy"] == before
    researcher = signed_in_visit(chromium, catalog.url, "user", PASSWORD)
    try:
        answer = researcher.page.goto("/console/provider/datasets?lang=en")
        assert answer is not None and answer.status == 403
        answer = researcher.page.goto("/console/provider/registration?lang=en")
        assert answer is not None and answer.status == 403
    finally:
        researcher.context.close()


def test_the_keyboard_reaches_the_registration_form(provider: Page) -> None:
    page = provider
    page.goto("/console/provider/datasets?lang=en")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "register-link":
            break
    expect(page.locator("#register-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Register a dataset")
    page.get_by_label("Dataset name (identifier)").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Title")).to_be_focused()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_provider_data_pages_pass_axe(chromium: Browser, catalog: Catalog, width: str) -> None:
    visit = signed_in_visit(chromium, catalog.url, "provider", PASSWORD, width)
    try:
        problems = {}
        for name, path in (
            ("provider-datasets", "/console/provider/datasets?lang=en"),
            ("provider-dataset-page", "/console/provider/datasets/pd_policy?lang=zh"),
            ("provider-registration", "/console/provider/registration?lang=zh"),
            ("provider-version", "/console/provider/datasets/pd_policy/versions/new?lang=en"),
            ("provider-policy", "/console/provider/datasets/pd_policy/policy?lang=zh"),
        ):
            visit.page.goto(path)
            visit.page.wait_for_load_state("networkidle")
            screenshot(visit.page, name, width)
            violations = axe_violations(visit.page)
            if violations:
                problems[name] = violations
            overflow = horizontal_overflow(visit.page)
            if overflow > 0:
                problems[f"{name} overflow"] = [{"pixels": overflow}]
        assert not problems, problems
        assert visit.foreign_requests(catalog.url) == []
    finally:
        visit.context.close()
