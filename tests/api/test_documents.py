"""The document cache: a query text is parsed and validated once, however often it comes."""

from __future__ import annotations

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from killreport.api.graphql.documents import DocumentCache
from killreport.api.graphql.schema import build_schema

SCHEMA = build_schema()._schema


def test_a_repeated_text_is_parsed_and_validated_once() -> None:
    # given a cache and counting parse and validate functions
    cache = DocumentCache()
    calls: list[str] = []

    def counted_parse(text: str) -> DocumentNode:
        calls.append("parse")
        return parse(text)

    def counted_validate(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
        calls.append("validate")
        return validate(schema, document)

    # when the same invalid text comes three times
    errors = []
    for _ in range(3):
        document = cache.parsed("{ killmail(id: 1) { nope } }", counted_parse)
        errors.append(cache.validated(SCHEMA, document, counted_validate))

    # then it was parsed and validated once, and each answer names the unknown field
    assert calls == ["parse", "validate"]
    assert all(len(e) == 1 and "nope" in e[0].message for e in errors)


def test_old_and_oversized_texts_are_not_kept() -> None:
    # given a cache of two documents of at most 40 characters
    cache = DocumentCache(max_documents=2, max_text_chars=40)
    texts = ["{ a }", "{ b }", "{ c }", "{ " + "d " * 30 + "}"]

    # when four texts come, the last too long to keep
    for text in texts:
        cache.parsed(text, parse)
    parsed_again: list[str] = []
    for text in (texts[2], texts[1], texts[0], texts[3]):
        cache.parsed(text, lambda t: parsed_again.append(t) or parse(t))

    # then the oldest and the oversized one are parsed again; the last two kept are not
    assert parsed_again == [texts[0], texts[3]]
