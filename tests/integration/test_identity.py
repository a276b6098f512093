"""Accounts, organisations, eligibility facts and API tokens on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.audit import AuditQuery
from sandbox.errors import (
    AuthenticationRequired,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
)
from sandbox.identity import service, tokens
from sandbox.identity.model import Actor, EligibilityFact, OrganisationKind, Role, User
from sandbox.store import transaction
from sandbox.store.models import ApiTokenRow, EligibilityFactRow
from tests.support.factories import actor_of

Factory = sessionmaker[Session]
ADMIN = Actor.system()


def actions(factory: Factory) -> list[str]:
    with transaction(factory) as s:
        return [e.action for e in audit.iter_entries(s, AuditQuery())]


def assert_chain_ok(factory: Factory) -> None:
    with transaction(factory) as s:
        report = audit.verify(s)
    assert report.ok, report.problems


def make_user(factory: Factory, username: str, role: Role, org_id: int | None = None) -> User:
    with transaction(factory) as s:
        return service.create_user(s, ADMIN, username=username, role=role, organisation_id=org_id)


@pytest.fixture
def provider_org(session_factory: Factory) -> int:
    with transaction(session_factory) as s:
        return service.create_organisation(
            s, ADMIN, name="Stats Bureau", kind=OrganisationKind.PROVIDER
        ).id


# --- Accounts and organisations -----------------------------------------------------------------


def test_admin_creates_organisations_and_every_role(session_factory: Factory) -> None:
    with transaction(session_factory) as s:
        orgs = {
            kind: service.create_organisation(s, ADMIN, name=f"  Org {kind}  ", kind=kind)
            for kind in OrganisationKind
        }
    assert {o.name for o in orgs.values()} == {f"Org {k}" for k in OrganisationKind}
    provider_org = orgs[OrganisationKind.PROVIDER]
    created: dict[Role, User] = {}
    for role in Role:
        org_id = provider_org.id if role is Role.PROVIDER else None
        created[role] = make_user(session_factory, f"u.{role}", role, org_id)

    with transaction(session_factory) as s:
        for role, user in created.items():
            again = service.get_user(s, user.id)
            assert again == service.find_user(s, f"u.{role}")
            assert again.role is role
            assert again.username == again.display_name == f"u.{role}"
            assert again.active
            assert again.eligibility == ()
            assert again.created_at.tzinfo is not None
        provider = service.get_user(s, created[Role.PROVIDER].id)
        assert provider.organisation_id == provider_org.id
        assert provider.organisation_name == "Org provider"
        assert [u.username for u in service.list_users(s)] == sorted(f"u.{r}" for r in Role)
        assert [o.name for o in service.list_organisations(s)] == sorted(
            f"Org {k}" for k in OrganisationKind
        )
        assert service.get_organisation(s, provider_org.id) == provider_org
        assert service.find_organisation(s, "Org provider") == provider_org
        assert service.find_organisation(s, "nobody") is None
        with pytest.raises(NotFound):
            service.get_user(s, 9999)
        with pytest.raises(NotFound):
            service.get_organisation(s, 9999)

    assert actions(session_factory) == (
        ["organisation.create"] * len(OrganisationKind) + ["user.create"] * len(Role)
    )
    with transaction(session_factory) as s:
        entry = audit.list_entries(
            s, AuditQuery(action="user.create", object_id=str(created[Role.PROVIDER].id))
        )[0]
    assert entry.actor == "system"
    assert entry.detail == {
        "username": "u.provider",
        "role": "provider",
        "organisation_id": provider_org.id,
    }
    assert_chain_ok(session_factory)


def test_account_validation(session_factory: Factory, provider_org: int) -> None:
    with (
        pytest.raises(InvalidRequest, match="needs an organisation"),
        transaction(session_factory) as s,
    ):
        service.create_user(s, ADMIN, username="prov", role=Role.PROVIDER)
    for bad in ["", "a", "Alice", "1abc", "has space", "x" * 64, "bad/slash", "_lead"]:
        with pytest.raises(InvalidRequest, match="username"), transaction(session_factory) as s:
            service.create_user(s, ADMIN, username=bad, role=Role.USER)
    with pytest.raises(NotFound), transaction(session_factory) as s:
        service.create_user(s, ADMIN, username="orphan", role=Role.USER, organisation_id=9999)

    make_user(session_factory, "alice", Role.USER)
    with pytest.raises(Conflict), transaction(session_factory) as s:
        service.create_user(s, ADMIN, username="alice", role=Role.REVIEWER)
    with pytest.raises(Conflict), transaction(session_factory) as s:
        service.create_organisation(s, ADMIN, name="Stats Bureau", kind=OrganisationKind.OTHER)
    with pytest.raises(InvalidRequest), transaction(session_factory) as s:
        service.create_organisation(s, ADMIN, name="   ", kind=OrganisationKind.OTHER)

    # Refused requests change nothing and write nothing.
    assert actions(session_factory) == ["organisation.create", "user.create"]
    assert_chain_ok(session_factory)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_admin_manages_accounts(
    session_factory: Factory, provider_org: int, role: Role
) -> None:
    org_id = provider_org if role is Role.PROVIDER else None
    someone = actor_of(make_user(session_factory, "someone", role, org_id))
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        service.create_user(s, someone, username="bob", role=Role.USER)
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        service.create_organisation(s, someone, name="Mine", kind=OrganisationKind.OTHER)
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        service.set_active(s, someone, someone.user_id or 0, active=False)
    with transaction(session_factory) as s:
        assert service.find_user(s, "bob") is None
        assert service.find_organisation(s, "Mine") is None


def test_admin_account_may_manage_accounts(session_factory: Factory) -> None:
    admin = actor_of(make_user(session_factory, "root", Role.ADMIN))
    with transaction(session_factory) as s:
        bob = service.create_user(s, admin, username="bob", role=Role.USER)
    with transaction(session_factory) as s:
        entry = audit.list_entries(s, AuditQuery(object_id=str(bob.id)))[0]
    assert (entry.actor_id, entry.actor, entry.role) == (admin.user_id, "root", "admin")


# --- Eligibility facts --------------------------------------------------------------------------


def test_eligibility_facts(session_factory: Factory, db_engine: Engine) -> None:
    authority = actor_of(make_user(session_factory, "auth", Role.AUTHORITY))
    alice = make_user(session_factory, "alice", Role.USER)

    before = datetime.now(UTC)
    with transaction(session_factory) as s:
        service.set_eligibility(
            s,
            authority,
            alice.id,
            fact=EligibilityFact.REAL_NAME_VERIFIED,
            value="yes",
            note="ID card checked",
        )
        service.set_eligibility(
            s, authority, alice.id, fact=EligibilityFact.CREDIT_STANDING, value="good"
        )
    after = datetime.now(UTC)
    with transaction(session_factory) as s:
        current = {r.fact: r for r in service.get_user(s, alice.id).eligibility}
    assert set(current) == {EligibilityFact.REAL_NAME_VERIFIED, EligibilityFact.CREDIT_STANDING}
    real_name = current[EligibilityFact.REAL_NAME_VERIFIED]
    assert (real_name.value, real_name.note, real_name.set_by) == ("yes", "ID card checked", "auth")
    assert real_name.set_at.tzinfo is not None  # aware on both backends
    assert before <= real_name.set_at <= after

    # A newer record wins; the older one stays as history.
    with transaction(session_factory) as s:
        user = service.set_eligibility(
            s,
            authority,
            alice.id,
            fact=EligibilityFact.CREDIT_STANDING,
            value="dishonest_debtor",
            note="court list",
        )
    credit = {r.fact: r for r in user.eligibility}[EligibilityFact.CREDIT_STANDING]
    assert (credit.value, credit.set_by) == ("dishonest_debtor", "auth")
    with db_engine.connect() as conn:
        rows = conn.execute(
            select(
                EligibilityFactRow.fact, EligibilityFactRow.value, EligibilityFactRow.set_by_user_id
            )
            .where(EligibilityFactRow.user_id == alice.id)
            .order_by(EligibilityFactRow.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("real_name_verified", "yes", authority.user_id),
        ("credit_standing", "good", authority.user_id),
        ("credit_standing", "dishonest_debtor", authority.user_id),
    ]
    with transaction(session_factory) as s:
        entries = audit.list_entries(s, AuditQuery(action="user.eligibility.set"))
    assert [(e.actor, e.object_id, e.detail) for e in entries] == [
        ("auth", str(alice.id), {"fact": "real_name_verified", "value": "yes"}),
        ("auth", str(alice.id), {"fact": "credit_standing", "value": "good"}),
        ("auth", str(alice.id), {"fact": "credit_standing", "value": "dishonest_debtor"}),
    ]
    assert_chain_ok(session_factory)


def test_eligibility_refusals(session_factory: Factory) -> None:
    authority = actor_of(make_user(session_factory, "auth", Role.AUTHORITY))
    plain = actor_of(make_user(session_factory, "plain", Role.USER))
    alice = make_user(session_factory, "alice", Role.USER)
    fact = EligibilityFact.REAL_NAME_VERIFIED
    with pytest.raises(InvalidRequest), transaction(session_factory) as s:
        service.set_eligibility(s, authority, alice.id, fact=fact, value="maybe")
    with pytest.raises(InvalidRequest), transaction(session_factory) as s:
        service.set_eligibility(
            s, authority, alice.id, fact=EligibilityFact.CREDIT_STANDING, value="yes"
        )
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        service.set_eligibility(s, plain, alice.id, fact=fact, value="yes")
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        service.set_eligibility(s, plain, plain.user_id or 0, fact=fact, value="yes")
    # The anonymous system operator cannot vouch: a fact names the account that set it.
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        service.set_eligibility(s, ADMIN, alice.id, fact=fact, value="yes")
    with pytest.raises(NotFound), transaction(session_factory) as s:
        service.set_eligibility(s, authority, 9999, fact=fact, value="yes")
    with transaction(session_factory) as s:
        assert service.get_user(s, alice.id).eligibility == ()
    assert "user.eligibility.set" not in actions(session_factory)


# --- Tokens -------------------------------------------------------------------------------------


def test_token_lifecycle(session_factory: Factory, db_engine: Engine, provider_org: int) -> None:
    pat = make_user(session_factory, "pat", Role.PROVIDER, provider_org)
    with transaction(session_factory) as s:
        issued = tokens.issue_token(s, ADMIN, user_id=pat.id, name="laptop", days=30)
    assert issued.secret.startswith(tokens.TOKEN_PREFIX)
    assert issued.info.user_id == pat.id and issued.info.name == "laptop"
    assert issued.secret.startswith(issued.info.prefix)
    assert issued.info.revoked_at is None
    lifetime = issued.info.expires_at - issued.info.created_at
    assert lifetime == timedelta(days=30)

    expected = Actor(
        user_id=pat.id, username="pat", role=Role.PROVIDER, organisation_id=provider_org
    )
    with transaction(session_factory) as s:
        assert tokens.authenticate(s, issued.secret) == expected

    # The user issues a second token for itself; both work independently.
    with transaction(session_factory) as s:
        own = tokens.issue_token(s, expected, user_id=pat.id, name="ci")
    with transaction(session_factory) as s:
        assert tokens.authenticate(s, own.secret) == expected
        listed = tokens.list_tokens(s, expected, user_id=pat.id)
    assert [t.name for t in listed] == ["laptop", "ci"]
    assert listed[0] == issued.info

    with transaction(session_factory) as s:
        revoked = tokens.revoke_token(s, expected, issued.info.id)
    assert revoked.revoked_at is not None
    with pytest.raises(AuthenticationRequired, match="revoked"), transaction(session_factory) as s:
        tokens.authenticate(s, issued.secret)
    with transaction(session_factory) as s:  # revoking twice is harmless and not re-audited
        tokens.revoke_token(s, ADMIN, issued.info.id)
        assert tokens.authenticate(s, own.secret) == expected

    assert actions(session_factory) == [
        "organisation.create",
        "user.create",
        "token.create",
        "token.create",
        "token.revoke",
    ]
    with transaction(session_factory) as s:
        created = audit.list_entries(s, AuditQuery(action="token.create"))
    assert [(e.actor, e.detail) for e in created] == [
        ("system", {"user_id": pat.id, "name": "laptop", "days": 30}),
        ("pat", {"user_id": pat.id, "name": "ci", "days": 90}),
    ]
    assert_chain_ok(session_factory)


def test_tokens_stored_hashed(session_factory: Factory, db_engine: Engine) -> None:
    alice = make_user(session_factory, "alice", Role.USER)
    with transaction(session_factory) as s:
        issued = tokens.issue_token(s, ADMIN, user_id=alice.id)
    with db_engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM api_tokens")).all()
        token_hash = conn.execute(select(ApiTokenRow.token_hash)).scalar_one()
    assert len(rows) == 1
    stored = " ".join(str(v) for v in rows[0])
    assert issued.secret not in stored
    assert issued.secret[len(tokens.TOKEN_PREFIX) :] not in stored
    assert token_hash == tokens.hash_token(issued.secret)
    assert len(issued.info.prefix) < len(issued.secret) // 2
    # Nor does the secret reach the audit log.
    with transaction(session_factory) as s:
        exported = [str(e.to_dict()) for e in audit.iter_entries(s, AuditQuery())]
    assert not any(issued.secret in line for line in exported)


def test_expired_token_refused(session_factory: Factory, db_engine: Engine) -> None:
    alice = make_user(session_factory, "alice", Role.USER)
    with transaction(session_factory) as s:
        issued = tokens.issue_token(s, ADMIN, user_id=alice.id, days=1)
    with db_engine.begin() as conn:
        conn.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == issued.info.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with pytest.raises(AuthenticationRequired, match="expired"), transaction(session_factory) as s:
        tokens.authenticate(s, issued.secret)


def test_unknown_tokens_refused(session_factory: Factory) -> None:
    alice = make_user(session_factory, "alice", Role.USER)
    with transaction(session_factory) as s:
        issued = tokens.issue_token(s, ADMIN, user_id=alice.id)
    for secret in [
        "",
        "Bearer x",
        issued.secret[len(tokens.TOKEN_PREFIX) :],
        issued.secret + "x",
        tokens.TOKEN_PREFIX + "made-up",
    ]:
        with pytest.raises(AuthenticationRequired), transaction(session_factory) as s:
            tokens.authenticate(s, secret)


def test_deactivated_user_refused(session_factory: Factory) -> None:
    alice = make_user(session_factory, "alice", Role.USER)
    with transaction(session_factory) as s:
        issued = tokens.issue_token(s, ADMIN, user_id=alice.id)
    with transaction(session_factory) as s:
        assert not service.set_active(s, ADMIN, alice.id, active=False).active
    with pytest.raises(AuthenticationRequired, match="disabled"), transaction(session_factory) as s:
        tokens.authenticate(s, issued.secret)
    with transaction(session_factory) as s:
        assert service.set_active(s, ADMIN, alice.id, active=True).active
    with transaction(session_factory) as s:
        assert tokens.authenticate(s, issued.secret).user_id == alice.id
    with pytest.raises(NotFound), transaction(session_factory) as s:
        service.set_active(s, ADMIN, 9999, active=False)
    assert actions(session_factory) == [
        "user.create",
        "token.create",
        "user.deactivate",
        "user.activate",
    ]
    assert_chain_ok(session_factory)


def test_token_permissions(session_factory: Factory) -> None:
    alice = actor_of(make_user(session_factory, "alice", Role.USER))
    bob = actor_of(make_user(session_factory, "bob", Role.USER))
    assert alice.user_id is not None and bob.user_id is not None
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        tokens.issue_token(s, alice, user_id=bob.user_id)
    with pytest.raises(PermissionDenied), transaction(session_factory) as s:
        tokens.list_tokens(s, alice, user_id=bob.user_id)
    for days in (0, -1, tokens.MAX_TOKEN_DAYS + 1):
        with pytest.raises(InvalidRequest), transaction(session_factory) as s:
            tokens.issue_token(s, alice, user_id=alice.user_id, days=days)
    with pytest.raises(InvalidRequest), transaction(session_factory) as s:
        tokens.issue_token(s, alice, user_id=alice.user_id, name="n" * 101)
    with pytest.raises(NotFound), transaction(session_factory) as s:
        tokens.issue_token(s, ADMIN, user_id=9999)
    with transaction(session_factory) as s:
        bobs = tokens.issue_token(s, bob, user_id=bob.user_id)
    # Someone else's token is indistinguishable from a missing one.
    with pytest.raises(NotFound), transaction(session_factory) as s:
        tokens.revoke_token(s, alice, bobs.info.id)
    with pytest.raises(NotFound), transaction(session_factory) as s:
        tokens.revoke_token(s, alice, 9999)
    with transaction(session_factory) as s:
        assert tokens.authenticate(s, bobs.secret) == bob
        assert tokens.list_tokens(s, ADMIN, user_id=bob.user_id)[0].revoked_at is None
    assert actions(session_factory) == ["user.create", "user.create", "token.create"]
    assert_chain_ok(session_factory)
