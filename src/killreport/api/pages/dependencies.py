"""What page routes receive: the renderer, a read session, the clock, the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.api.pages.rendering import Pages
from killreport.container import Container


def get_pages(request: Request) -> Pages:
    """The app's page renderer (built once by mount_pages)."""
    pages: Pages = request.app.state.pages
    return pages


def get_container(request: Request) -> Container:
    """The process container the app serves."""
    container: Container = request.app.state.container
    return container


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One read transaction for the page; the route owns it."""
    async with get_container(request).database.reading() as session:
        yield session


def get_now() -> datetime:
    """The time windows and relative times are computed against (UTC)."""
    return datetime.now(UTC)


PagesDep = Annotated[Pages, Depends(get_pages)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
ContainerDep = Annotated[Container, Depends(get_container)]
NowDep = Annotated[datetime, Depends(get_now)]
