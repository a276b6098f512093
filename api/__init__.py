"""The HTTP layer: FastAPI app factory, routers, auth dependencies, schemas, error mapping."""
