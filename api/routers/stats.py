"""The platform's own figures."""

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, ReadSession
from api.schemas.stats import StatsPublic
from sandbox.oversight.stats import platform_stats

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=StatsPublic)
def stats(platform: PlatformDep, session: ReadSession, actor: ActorDep) -> StatsPublic:
    """Datasets by open attribute, applications and requests by state, response times
    against each deadline, complaints and objections open and overdue, reports missing,
    and budget spent per dataset (datasets whose budget you may read).
    """
    return StatsPublic.model_validate(platform_stats(session, actor, platform.calendar))
