"""Unexpected errors masked for clients (a request id to quote, never a trace), logged in full."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from killreport.api.graphql.errors import GRAPHQL_VALIDATION_FAILED, INTERNAL_SERVER_ERROR

logger = logging.getLogger(__name__)


def _request_id(execution_context: ExecutionContext | None) -> str:
    context = getattr(execution_context, "context", None)
    return str(getattr(context, "request_id", "-"))


def _is_unexpected(error: GraphQLError) -> bool:
    # Our client errors carry a code; syntax and validation errors have no original error.
    return not (error.extensions or {}).get("code") and error.original_error is not None


class RequestErrorMask(MaskErrors):
    """Mask unexpected errors with the request id; give every other error a code."""

    def __init__(self, *, mask: bool) -> None:
        super().__init__(should_mask_error=lambda e: mask and _is_unexpected(e))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = _request_id(self.execution_context)
        return GraphQLError(
            message=f"Internal server error (request id {request_id})",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": INTERNAL_SERVER_ERROR, "requestId": request_id},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                code = INTERNAL_SERVER_ERROR if _is_unexpected(error) else GRAPHQL_VALIDATION_FAILED
                error.extensions = {**(error.extensions or {}), "code": code}
        return processed


class LoggedSchema(strawberry.Schema):
    """A schema that logs each error once with the request id (traces only for bugs)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        request_id = _request_id(execution_context)
        for error in errors:
            if _is_unexpected(error):
                logger.error(
                    "graphql request %s failed at %s: %s",
                    request_id,
                    error.path,
                    error.message,
                    exc_info=error.original_error,
                )
            else:
                logger.info("graphql request %s refused: %s", request_id, error.message)
