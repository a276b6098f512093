"""API tokens: each account manages its own; admins manage anyone's."""

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep
from api.schemas import TokenCreate, TokenCreated, TokenPublic
from sandbox.errors import InvalidRequest
from sandbox.identity import tokens
from sandbox.store.db import transaction

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.post("", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, platform: PlatformDep, actor: ActorDep) -> TokenCreated:
    """Issue a token; the secret is in this response only."""
    user_id = body.user_id if body.user_id is not None else actor.user_id
    if user_id is None:
        raise InvalidRequest("name the user_id the token is for")
    with transaction(platform.sessions) as session:
        issued = tokens.issue_token(session, actor, user_id=user_id, name=body.name,
                                    days=body.days)
    return TokenCreated(token=issued.secret, info=TokenPublic.of(issued.info))


@router.get("", response_model=list[TokenPublic])
def list_tokens(
    platform: PlatformDep, actor: ActorDep, user_id: int | None = None
) -> list[TokenPublic]:
    """The caller's tokens (an admin may name another account)."""
    target = user_id if user_id is not None else actor.user_id
    if target is None:
        raise InvalidRequest("name the user_id whose tokens to list")
    with platform.sessions() as session:
        return [TokenPublic.of(t) for t in tokens.list_tokens(session, actor, user_id=target)]


@router.delete("/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: int, platform: PlatformDep, actor: ActorDep) -> TokenPublic:
    """Revoke a token at once."""
    with transaction(platform.sessions) as session:
        return TokenPublic.of(tokens.revoke_token(session, actor, token_id))
