"""The schema, assembled from parts: each feature adds its field class to one tuple here.

To add fields, write a `@strawberry.type` class in your own module
(`subscriptions.py` for `newKillmail`, `auth.py` for `me`, `myKillmails` and mutations)
and add it to QUERY_PARTS, MUTATION_PARTS or SUBSCRIPTION_PARTS. A root type exists once
it has a part: GraphQL has no empty types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types

from killreport.api.graphql.admin import AdminMutation, AdminQuery
from killreport.api.graphql.auth import AuthMutation, AuthQuery
from killreport.api.graphql.entity_query import EntityQuery
from killreport.api.graphql.killmail_query import KillmailQuery
from killreport.api.graphql.masking import LoggedSchema
from killreport.api.graphql.status_query import StatusQuery
from killreport.api.graphql.subscriptions import KillmailSubscription

QUERY_PARTS: tuple[type, ...] = (KillmailQuery, EntityQuery, StatusQuery, AuthQuery, AdminQuery)
MUTATION_PARTS: tuple[type, ...] = (AuthMutation, AdminMutation)
SUBSCRIPTION_PARTS: tuple[type, ...] = (KillmailSubscription,)

ExtensionFactory = Callable[[], SchemaExtension]


def _root(name: str, parts: tuple[type, ...]) -> type | None:
    return merge_types(name, parts) if parts else None


def build_schema(extensions: Sequence[ExtensionFactory] = ()) -> strawberry.Schema:
    """The schema with the given per-operation extensions (guards, masking)."""
    return LoggedSchema(
        query=merge_types("Query", QUERY_PARTS),
        mutation=_root("Mutation", MUTATION_PARTS),
        subscription=_root("Subscription", SUBSCRIPTION_PARTS),
        extensions=list(extensions),
    )


def printed_schema() -> str:
    """The SDL committed as `schema.graphql` at the repository root."""
    return build_schema().as_str() + "\n"
