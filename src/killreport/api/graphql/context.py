"""Per-request GraphQL context: the container, the database, this request's DataLoaders."""

from __future__ import annotations

from strawberry.fastapi import BaseContext

from killreport.api.graphql.loaders import Loaders
from killreport.container import Container
from killreport.db.engine import Database
from killreport.settings import Settings


class GraphQLContext(BaseContext):
    """What every resolver of one request sees; nothing here outlives the request."""

    def __init__(self, container: Container, request_id: str) -> None:
        super().__init__()
        self.container = container
        self.request_id = request_id
        self.loaders = Loaders.for_database(container.database)

    @property
    def database(self) -> Database:
        """Resolvers open short sessions from here (one per batch, never shared)."""
        return self.container.database

    @property
    def settings(self) -> Settings:
        """The process settings."""
        return self.container.settings
