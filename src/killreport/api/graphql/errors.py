"""Errors a client can act on: a message and an `extensions.code`, never a stack trace."""

from __future__ import annotations

from graphql import GraphQLError

BAD_USER_INPUT = "BAD_USER_INPUT"
PAGE_SIZE_TOO_LARGE = "PAGE_SIZE_TOO_LARGE"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
RATE_LIMITED = "RATE_LIMITED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def client_error(message: str, code: str = BAD_USER_INPUT) -> GraphQLError:
    """A GraphQL error the client caused, with its code in `extensions.code`."""
    return GraphQLError(message, extensions={"code": code})


def error_body(message: str, code: str) -> dict[str, object]:
    """A GraphQL response body carrying one error (for refusals before GraphQL runs)."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
