"""Parsed and validated documents kept by query text, so a repeated query skips both steps.

Parsing and validating a killmail-with-fitting document costs more CPU than executing it;
clients send the same few texts again and again. Only the outcome of a successful parse
and its validation errors are kept; guards (which read the variables) still run each time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema

# Bounded in count and in text size so unique texts cannot grow the process without limit.
DEFAULT_MAX_DOCUMENTS = 256
DEFAULT_MAX_TEXT_CHARS = 20_000


@dataclass
class CachedDocument:
    """One query text parsed, and its validation errors once validated."""

    document: DocumentNode
    errors: list[GraphQLError] | None = None


class DocumentCache:
    """An LRU of parsed documents (and their validation) by query text, for one schema."""

    def __init__(
        self,
        max_documents: int = DEFAULT_MAX_DOCUMENTS,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> None:
        self.max_documents = max_documents
        self.max_text_chars = max_text_chars
        self._entries: OrderedDict[str, CachedDocument] = OrderedDict()
        self._by_document: dict[int, CachedDocument] = {}

    def parsed(self, text: str, parse: Callable[[str], DocumentNode]) -> DocumentNode:
        """The document of a text, parsed once (a syntax error propagates, nothing is kept)."""
        entry = self._entries.get(text)
        if entry is not None:
            self._entries.move_to_end(text)
            return entry.document
        document = parse(text)
        if len(text) <= self.max_text_chars:
            entry = CachedDocument(document)
            self._entries[text] = entry
            self._by_document[id(document)] = entry
            if len(self._entries) > self.max_documents:
                _, dropped = self._entries.popitem(last=False)
                self._by_document.pop(id(dropped.document), None)
        return document

    def validated(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        validate: Callable[[GraphQLSchema, DocumentNode], list[GraphQLError]],
    ) -> list[GraphQLError]:
        """The validation errors of a document, computed once when the cache holds it."""
        entry = self._by_document.get(id(document))
        if entry is None or entry.document is not document:
            return validate(schema, document)
        if entry.errors is None:
            entry.errors = validate(schema, document)
        return entry.errors
