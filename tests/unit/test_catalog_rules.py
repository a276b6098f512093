"""Open-attribute rules and staleness (Wuxi art. 8, 13; Qingdao art. 9, 11)."""

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.catalog.model import OpenAttribute, UpdateFrequency
from sandbox.catalog.rules import check_attribute_change, check_registration_attribute, is_stale
from sandbox.errors import InvalidRequest

U, C, X = OpenAttribute.UNCONDITIONAL, OpenAttribute.CONDITIONAL, OpenAttribute.CLOSED


def change(current, requested, basis="", desensitised=False, consent=""):
    check_attribute_change(
        current=current,
        requested=requested,
        legal_basis=basis,
        has_desensitisation=desensitised,
        consent_reference=consent,
    )


@pytest.mark.parametrize("current, requested", [(U, C), (U, X), (C, X)])
def test_stricter_needs_a_legal_basis(current, requested):
    with pytest.raises(InvalidRequest, match="needs a legal basis"):
        change(current, requested)
    with pytest.raises(InvalidRequest, match="needs a legal basis"):
        change(current, requested, basis="   ")
    change(current, requested, basis="law art. 1")


@pytest.mark.parametrize("requested", [U, C])
def test_opening_closed_data_needs_desensitisation_or_consent(requested):
    with pytest.raises(InvalidRequest, match="desensitisation"):
        change(X, requested)
    change(X, requested, desensitised=True)
    change(X, requested, consent="consent letter 2026-17")


def test_loosening_open_data_needs_no_precondition_and_same_is_refused():
    change(C, U)
    with pytest.raises(InvalidRequest, match="already"):
        change(C, C)


def test_closed_registration_needs_legal_basis():
    with pytest.raises(InvalidRequest, match="legal basis"):
        check_registration_attribute(X, " ")
    check_registration_attribute(X, "law")
    check_registration_attribute(C, "")


def test_staleness_follows_the_update_frequency():
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert is_stale(UpdateFrequency.MONTHLY, None, now)
    assert not is_stale(UpdateFrequency.MONTHLY, now - timedelta(days=30), now)
    assert is_stale(UpdateFrequency.MONTHLY, now - timedelta(days=32), now)
    assert is_stale(UpdateFrequency.DAILY, now - timedelta(days=2), now)
    assert not is_stale(UpdateFrequency.IRREGULAR, now - timedelta(days=300), now)
    assert is_stale(UpdateFrequency.IRREGULAR, now - timedelta(days=400), now)
