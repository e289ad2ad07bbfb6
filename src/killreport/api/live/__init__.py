"""The live engine behind GraphQL subscriptions: one feed per API process, fanned out.

Framework-light on purpose: nothing here knows strawberry or starlette. The GraphQL layer
(`api/graphql/subscriptions.py`) gives each WebSocket a `LiveConnection` and turns the
items a `LiveFeed` yields into GraphQL results.
"""
