"""API tokens: each account manages its own; admins manage anyone's."""

from fastapi import APIRouter

from api.deps import ActorDep, ReadSession, WriteSession
from api.errors import error_responses
from api.schemas.tokens import TokenCreate, TokenCreated, TokenPublic
from api.types import Id
from sandbox.errors import InvalidRequest
from sandbox.identity import tokens

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.post("", response_model=TokenCreated, status_code=201, responses=error_responses(404))
def create_token(body: TokenCreate, session: WriteSession, actor: ActorDep) -> TokenCreated:
    """Issue a token; the secret is in this response only."""
    user_id = body.user_id if body.user_id is not None else actor.user_id
    if user_id is None:
        raise InvalidRequest("name the user_id the token is for")
    issued = tokens.issue_token(session, actor, user_id=user_id, name=body.name, days=body.days)
    return TokenCreated(token=issued.secret, info=TokenPublic.model_validate(issued.info))


@router.get("", response_model=list[TokenPublic])
def list_tokens(
    session: ReadSession, actor: ActorDep, user_id: Id | None = None
) -> list[TokenPublic]:
    """The caller's tokens (an admin may name another account)."""
    target = user_id if user_id is not None else actor.user_id
    if target is None:
        raise InvalidRequest("name the user_id whose tokens to list")
    return [
        TokenPublic.model_validate(t) for t in tokens.list_tokens(session, actor, user_id=target)
    ]


@router.delete("/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: Id, session: WriteSession, actor: ActorDep) -> TokenPublic:
    """Revoke a token at once."""
    return TokenPublic.model_validate(tokens.revoke_token(session, actor, token_id))
