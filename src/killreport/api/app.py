"""The FastAPI application; the container it serves is built by the caller and passed in."""

from __future__ import annotations

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from killreport import __version__
from killreport.api.auth.routes import router as auth_router
from killreport.api.graphql.router import install_graphql
from killreport.container import Container
from killreport.health import run_probes


def create_app(container: Container) -> FastAPI:
    """Build the API app around an already built container."""
    app = FastAPI(
        title="KillReport",
        version=__version__,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.container = container
    app.include_router(auth_router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive and serving."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz")
    async def readyz(response: Response) -> dict[str, object]:
        """Ready when every configured dependency answers; each is reported by name."""
        results = await run_probes(container.readiness_probes())
        ready = all(r.ok for r in results)
        if not ready:
            response.status_code = 503
        return {
            "status": "ready" if ready else "not ready",
            "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results},
        }

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus metrics of this process."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    install_graphql(app, container)
    return app
