"""Guards checked after parsing and before validation and execution: depth, cost, page size.

Cost is the number of fields the query could resolve: each field counts once per row of
every page above it (`first`, or the field's default page size), so `killmails(first:
100) { ... killmails(first: 100) { ... } }` costs 100 x 100 per inner field. Variables
are read, so `first: $n` is checked with the value sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql import parse as parse_document
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from killreport.api.graphql.documents import DocumentCache
from killreport.api.graphql.errors import (
    PAGE_SIZE_TOO_LARGE,
    QUERY_TOO_COSTLY,
    QUERY_TOO_DEEP,
    client_error,
)
from killreport.killmails.queries import MAX_PAGE_SIZE

# Page sizes of list fields when `first` is not given (their schema defaults).
DEFAULT_FIRST = {
    "killmails": 25,
    "characters": 25,
    "corporations": 25,
    "alliances": 25,
    "top": 10,
    "leaderboard": 10,
    "search": 10,
}


@dataclass(frozen=True, slots=True)
class GuardLimits:
    """The limits of one deployment (from Settings)."""

    max_depth: int
    max_cost: int
    max_page_size: int = MAX_PAGE_SIZE


class _Refused(Exception):
    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class _Walk:
    limits: GuardLimits
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    defaults: Mapping[str, Any]
    cost: int = 0

    def page_size(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                size = int(value.value)
            elif isinstance(value, VariableNode):
                name = value.name.value
                given = self.variables.get(name, self.defaults.get(name))
                size = given if isinstance(given, int) else DEFAULT_FIRST.get(field.name.value, 1)
            else:
                return 1
            if size > self.limits.max_page_size:
                raise _Refused(
                    client_error(
                        f"first may be at most {self.limits.max_page_size}, got {size} "
                        f"on {field.name.value}",
                        PAGE_SIZE_TOO_LARGE,
                    )
                )
            return max(size, 1)
        return DEFAULT_FIRST.get(field.name.value, 1)

    def fields(self, selections: SelectionSetNode, seen: frozenset[str]) -> Iterator[FieldNode]:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self.fields(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                # Unknown or cyclic fragments are left to validation to report.
                if fragment is not None and name not in seen:
                    yield from self.fields(fragment.selection_set, seen | {name})

    def walk(self, selections: SelectionSetNode, depth: int, rows: int) -> None:
        if depth > self.limits.max_depth:
            raise _Refused(
                client_error(
                    f"query is deeper than the limit of {self.limits.max_depth} levels",
                    QUERY_TOO_DEEP,
                )
            )
        for field in self.fields(selections, frozenset()):
            self.cost += rows
            if self.cost > self.limits.max_cost:
                raise _Refused(
                    client_error(
                        f"query could resolve more than {self.limits.max_cost} fields "
                        "(fields x page sizes); ask for smaller pages or fewer nested lists",
                        QUERY_TOO_COSTLY,
                    )
                )
            if field.selection_set is not None:
                self.walk(field.selection_set, depth + 1, rows * self.page_size(field))
            else:
                self.page_size(field)


def check_document(
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: GuardLimits,
) -> GraphQLError | None:
    """The first guard the operation breaks, or None when it may run."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    for operation in operations:
        defaults = {
            v.variable.name.value: getattr(v.default_value, "value", None)
            for v in operation.variable_definitions or ()
        }
        defaults = {k: int(v) for k, v in defaults.items() if isinstance(v, str) and v.isdigit()}
        walk = _Walk(limits, fragments, variables or {}, defaults)
        try:
            walk.walk(operation.selection_set, 1, 1)
        except _Refused as refused:
            return refused.error
    return None


class GuardExtension(SchemaExtension):
    """Refuse an operation that breaks a guard before it is validated or run.

    With a DocumentCache, a query text seen before is neither parsed nor validated again
    (the guards still run: they depend on the variables).
    """

    def __init__(self, limits: GuardLimits, documents: DocumentCache | None = None) -> None:
        self.limits = limits
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if self.documents is not None and context.query and context.graphql_document is None:
            options = context.parse_options
            try:
                context.graphql_document = self.documents.parsed(
                    context.query, lambda text: parse_document(text, **options)
                )
            except GraphQLError:
                # strawberry parses it again and reports the syntax error its own way
                context.graphql_document = None
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            error = check_document(document, context.operation_name, context.variables, self.limits)
            if error is not None:
                # Set before validation runs: strawberry then skips validation and returns it.
                context.pre_execution_errors = [error]
            elif self.documents is not None and context.validation_rules:
                rules = context.validation_rules
                context.pre_execution_errors = list(
                    self.documents.validated(
                        context.schema._schema,
                        document,
                        lambda schema, doc: validate_document(schema, doc, rules),
                    )
                )
        yield
